// `ticketing-<svc> dlq ...` (and `scripts/run.sh dlq ...`): the dead letters of the whole system,
// as an operator handles them (bus/dead_letters.hpp):
//   dlq list [--consumer C]        id, subject, consumer, time, trace id and reason of each
//   dlq summary                    dead letters per consumer (what `status` shows)
//   dlq show <id>                  its headers and payload
//   dlq redrive <id> | --all [--consumer C]
//                                  delivers each again to the consumer that dead-lettered it
//   dlq purge <id> | --all [--consumer C] [--yes]
//                                  removes them; asks first unless --yes
// Exit status: 0 done, 1 nothing found or refused or NATS unreachable, 2 usage.
// Thread-safety: runs on the caller's thread.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "common/config/env.hpp"

namespace ticketing::service {

int RunDeadLetterCommand(const config::CommonConfig& cfg,
                         const std::vector<std::string>& args,
                         std::istream& in,
                         std::ostream& out,
                         std::ostream& err);

}  // namespace ticketing::service
