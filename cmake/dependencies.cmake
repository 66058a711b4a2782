# Every dependency comes from Debian 12's packages (see the README for why each one).
find_package(Threads REQUIRED)
# Beast and Asio are header-only; Boost.System is header-only since 1.69.
find_package(Boost 1.74 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
