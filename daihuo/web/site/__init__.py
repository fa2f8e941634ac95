"""The public site: server-rendered pages, feeds, sitemap (no JavaScript).

``router`` serves it live (FastAPI); ``daihuo.web.site.publish.publish`` writes the same files for a
static host. Pages are rebuilt from stored text blocks, so crawled markup never reaches them.
"""

from daihuo.web.site.router import router
from daihuo.web.site.site_config import SiteConfig

__all__ = ["SiteConfig", "router"]
