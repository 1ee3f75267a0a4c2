#include "assembly.hpp"

#include <string>

#include "common/auth/session.hpp"
#include "common/bus/subscriber.hpp"
#include "common/metrics/registry.hpp"

#include "domain/recovery_worker.hpp"
#include "gateway/metered_gateway.hpp"
#include "listeners/listeners.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_payments_unit_of_work.hpp"

namespace ticketing::payments {

PaymentService& Assemble(service::ServiceBuilder& b,
                         PaymentGateway& gateway,
                         const Settings& settings) {
    b.OpenDatabase(Migrations());
    b.ConnectBus();
    auto& metered = b.Make<MeteredGateway>(gateway, b.metrics());
    auto& settlement_failures = b.metrics().AddCounter(
        "payments_settlement_failures_total",
        "Captures and releases the gateway refused for good (the payment is failed), by action");
    PaymentServiceOptions options;
    options.on_settlement_failed = [&settlement_failures](Settlement settlement) {
        settlement_failures.With({{"action", std::string(ToString(settlement))}}).Inc();
    };
    auto& transactions =
        b.Make<SqlPaymentsTransactions>(b.db(), b.EventsWritten(), b.EventsCommitted());
    b.metrics().AddCallbackGauge(
        "payments_failed_settlements",
        "Payments whose capture or release the gateway refused for good (shown by status)",
        [&transactions] {
            try {
                return static_cast<double>(transactions.Read([](PaymentsUnitOfWork& uow) {
                    return uow.payments().CountFailedSettlements();
                }));
            } catch (const std::exception&) {
                return -1.0;  // the database is down: readiness says so too
            }
        });
    auto& service = b.Make<PaymentService>(transactions, metered, b.clock(), b.ids(), options);
    auto& listeners = b.Make<Listeners>(ListenerContext{transactions, service});
    b.Listen([&listeners](bus::EventSubscriber& s) { listeners.SubscribeAll(s); });
    auto& recovery = b.Make<RecoveryWorker>(service, settings.recovery_interval);
    b.Worker([&recovery] { recovery.Start(); }, [&recovery] { recovery.Stop(); });
    const auto& session = b.Make<auth::SessionSettings>(b.Sessions());
    b.Routes(BuildRouter(service, session, settings.public_config));
    return service;
}

}  // namespace ticketing::payments
