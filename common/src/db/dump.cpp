#include "common/db/dump.hpp"

#include <nlohmann/json.hpp>

#include "common/db/sql.hpp"

namespace ticketing::db {

void Dump(Database& db, const std::vector<TableDump>& tables, std::ostream& out) {
    db.WithSession([&](soci::session& s) {
        for (const auto& t : tables) {
            std::string sql = "SELECT ";
            for (std::size_t i = 0; i < t.columns.size(); ++i) {
                sql += (i > 0 ? ", " : "") + t.columns[i];
            }
            sql += " FROM " + t.table + " ORDER BY " + t.order_by;
            soci::rowset<soci::row> rows = s.prepare << sql;
            for (const soci::row& row : rows) {
                // Keys in column order (not sorted), so the line reads like the table.
                nlohmann::ordered_json line;
                line["table"] = t.table;
                for (std::size_t i = 0; i < row.size(); ++i) {
                    const std::string& name = t.columns[i];
                    if (row.get_indicator(i) == soci::i_null) {
                        line[name] = nullptr;
                        continue;
                    }
                    switch (row.get_properties(i).get_data_type()) {
                        case soci::dt_string:
                            line[name] = row.get<std::string>(i);
                            break;
                        case soci::dt_integer:
                            line[name] = row.get<int>(i);
                            break;
                        case soci::dt_long_long:
                            line[name] = row.get<long long>(i);
                            break;
                        case soci::dt_unsigned_long_long:
                            line[name] = row.get<unsigned long long>(i);
                            break;
                        case soci::dt_double:
                            line[name] = row.get<double>(i);
                            break;
                        default:
                            line[name] = "<unsupported type>";
                    }
                }
                out << line.dump() << "\n";
            }
        }
    });
}

}  // namespace ticketing::db
