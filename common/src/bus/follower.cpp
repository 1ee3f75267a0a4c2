#include "common/bus/follower.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>

#include "common/bus/connection.hpp"
#include "common/log/log.hpp"

#include "nats_handles.hpp"

namespace ticketing::bus {

struct StreamFollower::State {
    Handler handler;
    std::string stream;
    std::string subject;
    natsSubscription* sub = nullptr;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;  // the library will call nothing more (its completion callback ran)
};

namespace {

void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* state = static_cast<StreamFollower::State*>(closure);
    const char* data = natsMsg_GetData(msg);
    const auto len = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
    try {
        state->handler(std::string_view(data == nullptr ? "" : data, len));
    } catch (const std::exception& e) {
        log::Error("follower handler failed; message skipped",
                   {{"stream", state->stream}, {"error", e.what()}});
    }
    natsMsg_Destroy(msg);
}

void OnComplete(void* closure) {
    auto* state = static_cast<StreamFollower::State*>(closure);
    {
        std::lock_guard lock(state->mu);
        state->done = true;
    }
    state->cv.notify_all();
}

}  // namespace

StreamFollower::StreamFollower(NatsConnection& connection,
                               std::string stream,
                               std::string subject,
                               Handler handler)
    : state_(std::make_unique<State>()) {
    state_->handler = std::move(handler);
    state_->stream = std::move(stream);
    state_->subject = std::move(subject);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = state_->stream.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverAll;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_Subscribe(&state_->sub,
                                connection.handles().js,
                                state_->subject.c_str(),
                                &OnMessage,
                                state_.get(),
                                nullptr,
                                &so,
                                &jerr);
    if (s == NATS_OK) {
        s = natsSubscription_SetOnCompleteCB(state_->sub, &OnComplete, state_.get());
    }
    if (s != NATS_OK) {
        natsSubscription_Destroy(state_->sub);
        throw BusError(NatsErrorText(("following " + state_->stream).c_str(), s, jerr));
    }
}

StreamFollower::~StreamFollower() {
    // Unsubscribe, then wait for the completion callback: after it no handler call runs.
    if (natsSubscription_Unsubscribe(state_->sub) == NATS_OK) {
        std::unique_lock lock(state_->mu);
        state_->cv.wait(lock, [this] { return state_->done; });
    }
    natsSubscription_Destroy(state_->sub);
}

}  // namespace ticketing::bus
