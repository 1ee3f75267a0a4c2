// Canonical dump of a service's database: chosen tables, chosen columns, rows sorted by a key,
// one JSON object per line ({"table": "...", "<column>": value, ...}), the same text on SQLite
// and PostgreSQL. Two databases that hold the same records give byte-identical dumps, which is
// how replay is checked (DESIGN.md section 8).
// Thread-safety: uses one pooled session for the whole dump.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ticketing::db {

class Database;

struct TableDump {
    std::string table;
    std::vector<std::string> columns;  // in output order; integers, text or NULL
    std::string order_by;              // a total order, e.g. "id"
};

// Writes every row of every table, in the order given. Throws what the database throws.
void Dump(Database& db, const std::vector<TableDump>& tables, std::ostream& out);

}  // namespace ticketing::db
