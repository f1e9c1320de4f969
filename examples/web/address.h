// Which addresses the example programs may touch. The service binds only
// loopback or private addresses so a demo never ends up on the internet; the
// load generator only targets loopback so it cannot be pointed at someone
// else's server.
#pragma once

#include <string>

namespace shoal::web {

// 127.0.0.0/8 or ::1, written as a literal address.
bool IsLoopbackAddress(const std::string& host);
// Loopback, RFC 1918 (10/8, 172.16/12, 192.168/16) or IPv6 unique-local
// (fc00::/7), written as a literal address. Wildcards (0.0.0.0, ::) are not.
bool IsLoopbackOrPrivateAddress(const std::string& host);

}  // namespace shoal::web
