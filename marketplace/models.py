"""Every model module, imported once so that the metadata is complete
(for migrations, `create_all` in tests and relationship resolution)."""

from .accounts import models as accounts_models  # noqa: F401
from .contracts import models as contracts_models  # noqa: F401
from .core import idempotency  # noqa: F401
from .core import models as core_models  # noqa: F401
from .finance import models as finance_models  # noqa: F401
from .industrialization import models as industrialization_models  # noqa: F401
from .ip import models as ip_models  # noqa: F401
from .ledger import models as ledger_models  # noqa: F401
from .listings import models as listings_models  # noqa: F401
from .network import models as network_models  # noqa: F401
from .notifications import models as notifications_models  # noqa: F401
from .offers import models as offers_models  # noqa: F401
from .payments import models as payments_models  # noqa: F401
from .search import models as search_models  # noqa: F401
from .search import outbox as search_outbox  # noqa: F401
from .services import models as services_models  # noqa: F401
from .storage import models as storage_models  # noqa: F401
from .storage import uploads  # noqa: F401
from .trading import models as trading_models  # noqa: F401
