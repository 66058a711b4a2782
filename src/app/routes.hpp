#pragma once

#include "app/service.hpp"
#include "http/router.hpp"

namespace hello::app {

// One function per endpoint file; register_routes() calls each.
void add_greetings(http::Router& router);
void add_dependency(http::Router& router, const AppState& state);

}  // namespace hello::app
