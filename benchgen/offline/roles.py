"""The offline backend's three roles, handed out as a set the way `benchgen.agents.llm.llm_roles` hands out
a model's: the session asks the backend for its roles and never names the procedural classes."""

from benchgen.offline.coder import OfflineCoder
from benchgen.offline.planner import OfflinePlanner
from benchgen.offline.reviewer import OfflineReviewer


def offline_roles() -> tuple[OfflinePlanner, OfflineCoder, OfflineReviewer]:
    return OfflinePlanner(), OfflineCoder(), OfflineReviewer()
