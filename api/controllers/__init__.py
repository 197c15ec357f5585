"""One controller per resource."""

from .admin import AdminController
from .ask import AskController
from .chat import ChatController, ModelsController
from .documents import DocumentController
from .health import HealthController, IndexController
from .page import PageController
from .search import SearchController

CONTROLLERS = (SearchController, AskController, ChatController, ModelsController, DocumentController,
               HealthController, IndexController, AdminController, PageController)

__all__ = ["CONTROLLERS"]
