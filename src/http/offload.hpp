#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include <utility>  // before Asio 1.18's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hello::http {

// A small pool for blocking or CPU-heavy work that an asynchronous handler must not do on
// its worker's thread (a blocking client library, a password hash, a large render):
//
//   const std::string hash = co_await pool.run([password] { return slow_hash(password); });
//
// The work runs on one of the pool's threads; the handler resumes on its own worker's
// executor (the completion is dispatched to the awaiting coroutine's executor), so what
// it touches afterwards is the worker's again. An exception from the work is rethrown in
// the handler. Work cannot be interrupted: a handler timeout answers 503, but the work
// runs to its end, and the handler with it.
class OffloadPool {
 public:
  explicit OffloadPool(std::size_t threads) : pool_(threads) {}
  ~OffloadPool() { pool_.join(); }
  OffloadPool(const OffloadPool&) = delete;
  OffloadPool& operator=(const OffloadPool&) = delete;

  template <class Work>
  boost::asio::awaitable<std::invoke_result_t<Work&>> run(Work work) {
    using Value = std::invoke_result_t<Work&>;
    static_assert(!std::is_void_v<Value>, "offloaded work returns a value");
    co_return co_await boost::asio::co_spawn(
        pool_.get_executor(), [work = std::move(work)]() mutable -> boost::asio::awaitable<Value> { co_return work(); },
        boost::asio::use_awaitable);
  }

  // Stops taking work and waits for what runs (at shutdown, after the workers stopped).
  void join() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace hello::http
