#include "common/testing/raw_exchange.hpp"

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

namespace ticketing::test {
namespace {

// Closes the socket on every path out of RawExchange.
class Socket final {
public:
    explicit Socket(int family) : fd_(::socket(family, SOCK_STREAM, 0)) {}
    ~Socket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    int fd() const { return fd_; }

private:
    int fd_;
};

// Sends `bytes` on a connected socket and reads as RawExchange says.
std::string Exchange(const Socket& s,
                     const sockaddr* address,
                     socklen_t address_size,
                     std::string_view bytes,
                     std::chrono::milliseconds read_timeout,
                     const std::function<bool(std::string_view)>& complete) {
    if (s.fd() < 0) {
        return {};
    }
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(read_timeout);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(seconds.count());
    tv.tv_usec = static_cast<suseconds_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(read_timeout - seconds).count());
    ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(s.fd(), address, address_size) != 0 ||
        ::send(s.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(bytes.size())) {
        return {};
    }
    std::string out;
    char buf[4096];
    while (!complete || !complete(out)) {
        const auto n = ::recv(s.fd(), buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

}  // namespace

std::string RawExchange(std::uint16_t port,
                        std::string_view bytes,
                        std::chrono::milliseconds read_timeout,
                        const std::function<bool(std::string_view)>& complete) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return Exchange(Socket(AF_INET),
                    reinterpret_cast<sockaddr*>(&addr),
                    sizeof addr,
                    bytes,
                    read_timeout,
                    complete);
}

std::string RawExchange(const std::string& unix_socket,
                        std::string_view bytes,
                        std::chrono::milliseconds read_timeout,
                        const std::function<bool(std::string_view)>& complete) {
    sockaddr_un addr{};
    if (unix_socket.size() >= sizeof addr.sun_path) {
        return {};
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, unix_socket.data(), unix_socket.size());
    return Exchange(Socket(AF_UNIX),
                    reinterpret_cast<sockaddr*>(&addr),
                    sizeof addr,
                    bytes,
                    read_timeout,
                    complete);
}

}  // namespace ticketing::test
