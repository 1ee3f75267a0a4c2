// The payments service's schema: migrations/NNNN_*.sql, compiled into the binary by
// ticketing_embed_migrations (CMakeLists.txt).
#pragma once

#include <vector>

#include "common/db/migrations.hpp"

namespace ticketing::payments {

const std::vector<db::Migration>& Migrations();

}  // namespace ticketing::payments
