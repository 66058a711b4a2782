#include <gtest/gtest.h>

#include "http/router.hpp"

namespace hello::http {
namespace {

Request request(Method method, std::string_view path) {
  Request r;
  r.method = method;
  r.path = path;
  r.target = path;
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router.get("/", [](const Request&) { return Response(200, "root"); });
    router.get(
        "/health", [](const Request&) { return Response(200, "ok"); }, true);
    router.set_not_found([](const Request&) { return Response(404, R"({"error":"not found"})"); });
  }
  Router router;
};

TEST_F(RouterTest, GetCallsTheHandler) {
  const auto r = router.route(request(Method::kGet, "/"));
  EXPECT_EQ(r.response.status(), 200);
  EXPECT_EQ(r.response.body(), "root");
  EXPECT_EQ(r.route, 0U);
  EXPECT_FALSE(r.response.no_store());
}

TEST_F(RouterTest, NoStoreComesFromTheRoute) {
  const auto r = router.route(request(Method::kGet, "/health"));
  EXPECT_TRUE(r.response.no_store());
  EXPECT_EQ(r.route, 1U);
}

TEST_F(RouterTest, HeadIsAnsweredByTheGetHandler) {
  const auto r = router.route(request(Method::kHead, "/health"));
  EXPECT_EQ(r.response.status(), 200);
  EXPECT_EQ(r.response.body(), "ok");  // the length is announced; the writer omits the body for HEAD
  EXPECT_TRUE(router.match(request(Method::kHead, "/health")).takes_body());
}

TEST_F(RouterTest, AnswersKnownFromTheHeaderTakeNoBody) {
  EXPECT_TRUE(router.match(request(Method::kGet, "/health")).takes_body());
  EXPECT_FALSE(router.match(request(Method::kPost, "/health")).takes_body());
  EXPECT_FALSE(router.match(request(Method::kOptions, "/health")).takes_body());
  EXPECT_FALSE(router.match(request(Method::kGet, "/missing")).takes_body());
  EXPECT_FALSE(router.match(request(Method::kHead, "*")).takes_body());
  EXPECT_EQ(router.match(request(Method::kPost, "/health")).route, 1U);
  EXPECT_EQ(router.match(request(Method::kGet, "/missing")).route, router.unmatched());
}

TEST_F(RouterTest, OptionsIs204WithAllow) {
  const auto r = router.route(request(Method::kOptions, "/health"));
  EXPECT_EQ(r.response.status(), 204);
  EXPECT_EQ(r.response.allow(), "GET, HEAD, OPTIONS");
}

TEST_F(RouterTest, OptionsAsteriskAsksAboutTheServer) {
  const auto r = router.route(request(Method::kOptions, "*"));
  EXPECT_EQ(r.response.status(), 204);
  EXPECT_EQ(r.response.allow(), "GET, HEAD, OPTIONS");
  EXPECT_EQ(router.route(request(Method::kGet, "*")).response.status(), 400);
}

TEST_F(RouterTest, OtherMethodsAre405WithAllow) {
  for (const Method m : {Method::kPost, Method::kPut, Method::kDelete, Method::kPatch, Method::kTrace, Method::kConnect,
                         Method::kOther}) {
    const auto r = router.route(request(m, "/health"));
    EXPECT_EQ(r.response.status(), 405) << method_name(m);
    EXPECT_EQ(r.response.allow(), "GET, HEAD, OPTIONS");
  }
}

TEST_F(RouterTest, UnknownPathIsTheNotFoundAnswer) {
  const auto r = router.route(request(Method::kGet, "/nope"));
  EXPECT_EQ(r.response.status(), 404);
  EXPECT_EQ(r.response.body(), R"({"error":"not found"})");
  EXPECT_EQ(r.route, router.unmatched());
  EXPECT_EQ(router.route(request(Method::kHead, "/nope")).response.status(), 404);
}

TEST_F(RouterTest, PathsMatchExactly) {
  EXPECT_EQ(router.route(request(Method::kGet, "/health/")).response.status(), 404);
  EXPECT_EQ(router.route(request(Method::kGet, "/HEALTH")).response.status(), 404);
  EXPECT_EQ(router.route(request(Method::kGet, "/healthz")).response.status(), 404);
}

TEST_F(RouterTest, LabelsAreTheRoutesThenUnmatched) {
  const auto labels = router.labels();
  ASSERT_EQ(labels.size(), 3U);
  EXPECT_EQ(labels[0], "/");
  EXPECT_EQ(labels[1], "/health");
  EXPECT_EQ(labels[2], "unmatched");
}

TEST(ResponseTest, OwnedBodySurvivesMoves) {
  Response a = Response::owned(200, "short");
  Response b = std::move(a);
  Response c = b;
  EXPECT_EQ(b.body(), "short");
  EXPECT_EQ(c.body(), "short");
}

}  // namespace
}  // namespace hello::http
