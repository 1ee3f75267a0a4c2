// Response: what a route handler returns. The server adds the request id header and writes it.
// Thread-safety: a plain value.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ticketing::http {

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // status with a JSON body and Content-Type: application/json; charset=utf-8.
    static Response Json(int status, const nlohmann::json& body);
    // The same with a body that is JSON text already (valid UTF-8: the caller's to ensure).
    static Response JsonText(int status, std::string body);
    // status with no body (204, or 200 {} when a body is wanted: use Json).
    static Response Empty(int status);
    // status with a text body of the given content type.
    static Response Text(int status, std::string body, std::string content_type = "text/plain");

    Response& AddHeader(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

}  // namespace ticketing::http
