// The SQL side of common/db: db/database.hpp together with SOCI's own header, for the code that
// writes SQL (the Sql* repositories in each service's src/storage/, the replayers, the
// migration runner, and their tests). Everything else includes db/database.hpp, which only
// forward-declares soci::session, and never sees SOCI.
// Thread-safety: see db/database.hpp.
#pragma once

// Debian's soci-config.h declares SOCI_HAVE_BOOST, but libsoci-dev does not depend on the Boost
// headers and they are not installed. The Boost parts of SOCI are header-only templates (Boost
// Fusion/Optional conversions) that nothing here uses, so switch them off before soci.h.
#include <soci/soci-config.h>
#undef SOCI_HAVE_BOOST
#undef SOCI_HAVE_BOOST_DATE_TIME
#include <soci/soci.h>

#include "common/db/database.hpp"
