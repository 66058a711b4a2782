#!/usr/bin/env python3
"""Unit tests of the rehearsal's decisions (part of `make test-stack`, a few seconds):
ports, images, state, HAProxy's answers, the deployment's bookkeeping on failures, and
the front door of deploy/local/stack. Podman and HAProxy are replaced by tests/fakes.py
where a decision is tested; the real ones are test_stack.py's."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from fakes import ROOT, fake_stack  # noqa: E402
from rehearsal import checks, cli, compose, haproxy, images, ports, replicas, state  # noqa: E402
from rehearsal.deploy import Deployment  # noqa: E402
from rehearsal.images import Release  # noqa: E402
from rehearsal.output import RollbackFailed, UsageError, Words  # noqa: E402
from rehearsal.stack import Stack  # noqa: E402


class Ports(unittest.TestCase):
    def test_auto_never_hands_out_one_port_twice(self):
        """Issue: 7 of 5,000 draws of 7 ports had a duplicate (a port was closed before
        the next was drawn)."""
        duplicates = 0
        for _ in range(5000):
            with ports.reserve_free(7) as reservation:
                duplicates += len(reservation.ports) != len(set(reservation.ports))
        self.assertEqual(duplicates, 0)

    def test_auto_ports_are_outside_the_ephemeral_range(self):
        low, high = ports.ephemeral_range()
        if low - ports.AUTO_LOW < 1000:
            self.skipTest(f"the ephemeral range starts at {low}: no room below it on this machine")
        with ports.reserve_free(7) as reservation:
            self.assertTrue(all(p < low for p in reservation.ports), reservation.ports)

    def test_a_taken_port_is_named_in_the_words_given(self):
        with ports.reserve_free(1) as taken:
            port = taken.ports[0]
            for words, flag in ((Words(True), "STACK_PORT=N"), (Words(False), "--port N")):
                with self.assertRaises(Exception) as caught:
                    ports.plan(str(port), 2, words)
                self.assertIn(f"port {port} on 127.0.0.1 is in use", str(caught.exception))
                self.assertIn(flag, str(caught.exception))

    def test_held_until_released(self):
        reservation = ports.reserve_free(2)
        self.assertIsNone(ports._hold(reservation.ports[0]))
        reservation.release()
        sock = ports._hold(reservation.ports[0])
        self.assertIsNotNone(sock)
        sock.close()


class Images(unittest.TestCase):
    def test_a_fault_build_never_takes_a_good_builds_tag(self):
        good = Release("1.2.0").image
        for fault in images.FAULTS:
            self.assertNotEqual(Release("1.2.0", fault).image, good)
            self.assertNotEqual(Release("1.2.0", fault).image.split(":")[0], good.split(":")[0])

    def test_dirty_and_dev_versions_are_rebuilt_even_when_their_image_exists(self):
        """Issue: a -dirty version never changes with further edits, so its image was
        reused and stack-up ran old code."""
        present = mock.Mock(return_value=mock.Mock(returncode=0))
        for version in ("1.2.0-3-gabc1234-dirty", "0.0.0-dev", "0.0.0-dev+abc1234", "0.0.0-dev+abc1234-dirty"):
            self.assertTrue(images.needs_build(Release(version), present), version)
        for version in ("1.2.0", "1.2.0-3-gabc1234"):
            self.assertFalse(images.needs_build(Release(version), present), version)
        missing = mock.Mock(return_value=mock.Mock(returncode=1))
        self.assertTrue(images.needs_build(Release("1.2.0"), missing))

    def test_a_build_shows_its_steps_and_its_log(self):
        """Issue: a build of minutes ran silent. Its steps show as they start, the log's
        path is named, and a failed build prints the end of its log."""
        with tempfile.TemporaryDirectory() as tmp:
            fake_root = Path(tmp)
            (fake_root / "container").mkdir()
            script = fake_root / "container/build-image.sh"
            script.write_text("#!/bin/sh\necho '==> building'\necho '[1/2] STEP 3/9: RUN make'\n"
                              "echo 'compiler chatter'\necho '[2/2] STEP 1/2: LABEL x=y'\n"
                              "echo 'error: the last words'\nexit 3\n")
            script.chmod(0o755)
            stack, _ = fake_stack(tmp)
            with self.assertRaises(Exception) as caught:
                images.build(fake_root, Release("9.9.9"), fake_root / "build.log", stack.out)
            said = "\n".join(stack.out.lines)
            self.assertIn("log: build.log", said)
            self.assertIn("build: [1/2] STEP 3/9: RUN make", said)
            self.assertNotIn("compiler chatter", said)
            self.assertIn("exit 3", str(caught.exception))
            self.assertIn("error: the last words", str(caught.exception))
            self.assertIn("compiler chatter", (fake_root / "build.log").read_text())

    def test_default_version_of_a_dirty_tree_is_rebuilt(self):
        with tempfile.TemporaryDirectory() as tmp:
            git = ["git", "-C", tmp, "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
            subprocess.run(["git", "init", "-q", tmp], check=True)
            Path(tmp, "f").write_text("1\n")
            subprocess.run([*git, "add", "f"], check=True)
            subprocess.run([*git, "commit", "-qm", "c"], check=True)
            subprocess.run([*git, "tag", "v1.0.0"], check=True)
            self.assertEqual(images.default_version(tmp), "1.0.0")
            Path(tmp, "f").write_text("2\n")
            dirty = images.default_version(tmp)
            self.assertEqual(dirty, "1.0.0-dirty")
            self.assertTrue(images.mutable(dirty))
            # The binary's rule (tools/default-version): a tag that is not digits and a dot
            # names a development build, as /info will say.
            subprocess.run([*git, "commit", "-qam", "d"], check=True)
            subprocess.run([*git, "tag", "v2-rc.1"], check=True)
            self.assertEqual(images.default_version(tmp), "0.0.0-dev+2-rc.1")


class AnyImage(unittest.TestCase):
    """IMAGE=, CONTAINER_PORT=, HEALTH_PATH=, READY_PATH=, VERSION_PATH=: another image
    runs from the same rendered container definition and is verified without our binary."""

    def definition(self, port):
        budget = __import__("rehearsal.timing", fromlist=["load"]).load(
            ROOT / "infrastructure/terraform/timing.json", 0.2)
        return replicas.container_definition(ROOT, "localhost/other:2.0", port, budget)

    def test_the_pod_runs_the_rendered_definition_on_its_container_port(self):
        release = Release("2.0", ref="localhost/other:2.0", port=8000, health_path="/healthz", version_path="")
        definition = self.definition(release.port)
        spec = replicas.pod_spec("st", "s3", 21003, release, definition, {})
        container = spec["spec"]["containers"][0]
        self.assertNotIn("hostNetwork", spec["spec"])
        self.assertEqual(container["image"], "localhost/other:2.0")
        self.assertEqual(container["ports"], [{"containerPort": 8000, "hostPort": 21003, "hostIP": "127.0.0.1",
                                               "protocol": "TCP"}])
        self.assertIn({"name": "PORT", "value": "8000"}, container["env"])
        # No command in the definition: the image's own ENTRYPOINT and CMD run.
        self.assertNotIn("args", container)
        self.assertNotIn("command", container)
        self.assertEqual(container["securityContext"]["runAsUser"], 65532)
        self.assertTrue(container["securityContext"]["readOnlyRootFilesystem"])
        labels = spec["metadata"]["labels"]
        back = Release.from_labels(lambda key, default: labels.get(f"hello-stack/{key}", default))
        self.assertEqual(back, release)
        with_command = dict(definition, command=["serve", "--fast"], entryPoint=["/app"])
        container = replicas.pod_spec("st", "s3", 21003, release, with_command, {})["spec"]["containers"][0]
        self.assertEqual((container["command"], container["args"]), (["/app"], ["serve", "--fast"]))

    def test_front_door_reads_the_service(self):
        words = Words(False)
        up = cli.Up(cli.parser().parse_args(["up", "--image", "localhost/hello-seed:1.1.0", "--container-port",
                                             "5000", "--ready-path", "/health"]), words)
        self.assertEqual((up.version, up.service["ref"], up.service["port"], up.ready_path),
                         ("1.1.0", "localhost/hello-seed:1.1.0", 5000, "/health"))
        ours = cli.Up(cli.parser().parse_args(["up"]), words)
        self.assertEqual((ours.version, ours.service["ref"], ours.service["port"], ours.ready_path),
                         (None, "", images.DEFAULT_PORT, images.DEFAULT_READY_PATH))
        no_version = cli.Up(cli.parser().parse_args(["up", "--image", "localhost/x:3", "--version-path", ""]), words)
        self.assertEqual(no_version.service["version_path"], "")
        bad = [
            (["up", "--image", "Local Host/x"], "--image 'Local Host/x' is not an image reference"),
            (["up", "--image", "localhost/x:1", "--container-port", "80"], "--container-port '80'"),
            (["up", "--ready-path", "health"], "--ready-path 'health'"),
            (["deploy", "--strategy", "rolling", "--image", "localhost/x:1", "--fault", "root-500"],
             "fault builds are of this tree's own image"),
            (["deploy", "--strategy", "rolling", "--image", "localhost/x"], None),
        ]
        for args, said in bad:
            command = cli.Up if args[0] == "up" else cli.Deploy
            if said is None:  # an image without a tag is 'latest', a valid version
                self.assertEqual(command(cli.parser().parse_args(args), words).version, "latest")
                continue
            with self.assertRaises(UsageError) as caught:
                command(cli.parser().parse_args(args), words)
            self.assertIn(said, str(caught.exception), args)

    def test_a_deploy_cannot_move_the_health_check(self):
        with tempfile.TemporaryDirectory() as tmp:
            stack, world = fake_stack(tmp)
            stack.lock = stack.load = lambda: stack
            command = cli.Deploy(cli.parser().parse_args(["deploy", "--strategy", "rolling", "--image",
                                                          "localhost/x:2", "--ready-path", "/healthz"]), Words(True))
            with mock.patch.object(images, "ensure", return_value=False), self.assertRaises(UsageError) as caught:
                command.run(stack, ROOT, stack.out)
            self.assertIn("--ready-path /healthz", str(caught.exception))
            self.assertEqual(world.started, [], "nothing may start")

    def test_another_image_is_never_built_and_must_be_present(self):
        missing = mock.Mock(return_value=mock.Mock(returncode=1))
        release = Release("2.0", ref="localhost/other:2.0")
        self.assertFalse(images.needs_build(release, missing))
        with mock.patch.object(images, "build") as build:
            with self.assertRaises(Exception) as caught:
                images.ensure(ROOT, release, "/tmp", None, missing)
            self.assertIn("localhost/other:2.0 is not in Podman's store", str(caught.exception))
            self.assertFalse(build.called)

    def test_another_image_is_verified_with_curl_not_our_binary(self):
        with tempfile.TemporaryDirectory() as tmp:
            stack, world = fake_stack(tmp)
            release = Release("2.0", ref="localhost/other:2.0", health_path="/healthz")
            stack.state.ready_path = "/up"
            self.assertTrue(stack.verify("http://127.0.0.1:1", release))
            self.assertIn(("verify_curl", str(release), "/up"), world.calls)
            self.assertNotIn(("verify", str(release)), world.calls)

    def test_verify_curl_checks_health_version_and_ready_path(self):
        ok = mock.Mock(return_value=mock.Mock(returncode=0, stdout="verify: PASS x\n", stderr=""))
        release = Release("2.0", ref="localhost/other:2.0", health_path="/healthz", version_path="/about")
        with mock.patch.object(replicas.subprocess, "run", ok):
            passed, said = replicas.verify_curl(ROOT, "http://127.0.0.1:9", release, "/up", 7)
        self.assertTrue(passed)
        first, second = (c.args[0] for c in ok.call_args_list)
        self.assertEqual(first[0], str(ROOT / "scripts/verify-service.sh"))
        for flag, value in (("--health-path", "/healthz"), ("--version-path", "/about"),
                            ("--expect-version", "2.0"), ("--deadline-s", "7")):
            self.assertEqual(first[first.index(flag) + 1], value, flag)
        self.assertEqual(second[second.index("--health-path") + 1], "/up")
        self.assertEqual(second[second.index("--version-path") + 1], "")
        # An image that reports no version: health and ready only, and it says so.
        quiet = Release("2.0", ref="localhost/other:2.0", version_path="")
        ok.reset_mock()
        with mock.patch.object(replicas.subprocess, "run", ok):
            passed, said = replicas.verify_curl(ROOT, "http://127.0.0.1:9", quiet, "/up", 7)
        self.assertTrue(passed)
        self.assertNotIn("--expect-version", ok.call_args_list[0].args[0])
        self.assertIn("reports no version", said)
        failing = mock.Mock(return_value=mock.Mock(returncode=1, stdout="verify: FAIL nope\n", stderr=""))
        with mock.patch.object(replicas.subprocess, "run", failing):
            passed, said = replicas.verify_curl(ROOT, "http://127.0.0.1:9", release, "/up", 7)
        self.assertFalse(passed)
        self.assertEqual(failing.call_count, 1)
        self.assertIn("FAIL nope", said)

    def test_haproxy_checks_the_ready_path(self):
        budget = __import__("rehearsal.timing", fromlist=["load"]).load(
            ROOT / "infrastructure/terraform/timing.json", 1)
        text = haproxy.render_config(ROOT / "deploy/local/haproxy.cfg.tmpl", haproxy.config_values(
            budget, 1, "/tmp/x.sock", {"live": 1, "test": 2, "stats": 3}, [state.Slot("s1", 20001)],
            ready_path="/health"))
        self.assertEqual(text.count("http-check send meth GET uri /health ver HTTP/1.1"), 2)
        self.assertNotIn("/ready", text)


class ComposeAnyImage(unittest.TestCase):
    """The Compose variant takes IMAGE= as the Podman stack does: each replica in a
    network namespace of its own, its container port published on 127.0.0.1, the
    release kept in compose.env, HAProxy's check on READY_PATH."""

    def render(self, tmp, release, ready_path):
        slots = [state.Slot("s1", 23001), state.Slot("s2", 23002)]
        compose.render(ROOT, Path(tmp), release, 0.2, {"live": 23000, "test": 23100, "stats": 23200}, slots,
                       ready_path)
        return compose.read_env(Path(tmp) / "compose.env")

    def test_another_image_is_rendered_on_its_container_port(self):
        seed = Release("1.1.0", ref="localhost/hello-seed:1.1.0", port=5001, version_path="")
        with tempfile.TemporaryDirectory() as tmp:
            env = self.render(tmp, seed, "/health")
            for i in (1, 2):
                self.assertEqual((env[f"IMAGE_{i}"], env[f"CONTAINER_PORT_{i}"], env[f"PORT_{i}"]),
                                 ("localhost/hello-seed:1.1.0", "5001", str(23000 + i)))
                self.assertEqual(compose.release_of_replica(env, i), seed)
                replica = compose.read_env(Path(tmp) / f"replica-{i}.env")
                self.assertEqual(replica["PORT"], "5001")
                self.assertNotIn("HOST", replica, "a replica listens on its own namespace's addresses")
            self.assertEqual(env["READY_PATH"], "/health")
            self.assertEqual((Path(tmp) / "haproxy.cfg").read_text().count("uri /health ver"), 2)

    def test_compose_yaml_publishes_each_replica_on_loopback_from_its_own_namespace(self):
        text = (ROOT / "deploy/local/compose.yaml").read_text()
        replica = text[text.index("x-replica:"):text.index("services:")]
        self.assertIn("network_mode: bridge", replica)
        for i in (1, 2):
            self.assertIn(f'ports: ["127.0.0.1:${{PORT_{i}:?}}:${{CONTAINER_PORT_{i}:?}}"]', text)

    def test_front_door(self):
        words = Words(False)

        def command(*args):
            return compose.Command(cli.parser().parse_args(["compose", *args]), words)

        up = command("up", "--image", "localhost/hello-seed:1.1.0", "--container-port", "5000",
                     "--ready-path", "/health", "--port", "auto")
        self.assertEqual((up.release.version, up.release.ref, up.release.port, up.ready_path),
                         ("1.1.0", "localhost/hello-seed:1.1.0", 5000, "/health"))
        ours = command("up", "1.0.0")
        self.assertEqual((ours.release, ours.ready_path), (Release("1.0.0"), images.DEFAULT_READY_PATH))
        self.assertIsNone(command("deploy", "1.1.0").ready_path, "a deploy keeps the stack's health check")
        for args, said in ((("deploy",), "VERSION is required"),
                           (("up", "1.0.0", "--container-port", "80"), "--container-port '80'"),
                           (("deploy", "--image", "Local Host/x"), "is not an image reference")):
            with self.assertRaises(UsageError) as caught:
                command(*args)
            self.assertIn(said, str(caught.exception), args)

    def test_verification_gets_the_real_grace_period_at_any_scale(self):
        """At TIME_SCALE=0.2 the grace period is 6 s; curl rounds on a loaded machine took
        1.5 s each, and a deadline of 6 s failed a healthy deploy."""
        with tempfile.TemporaryDirectory() as tmp:
            self.render(tmp, Release("1.0.0"), "/ready")
            stack = compose.ComposeStack(ROOT, tmp, mock.Mock())
            real = __import__("rehearsal.timing", fromlist=["load"]).load(
                ROOT / "infrastructure/terraform/timing.json", 1.0)["health_check_grace_period_s"]
            with mock.patch.object(replicas, "verify_curl", return_value=(True, "PASS")) as verify:
                self.assertTrue(stack.verify(Release("1.1.0", ref="localhost/other:1.1.0"), stack.budget()))
            self.assertEqual(verify.call_args.args[-1], int(real))
            self.assertEqual(verify.call_args.args[3], "/ready")

    def test_a_deploy_cannot_move_the_health_check_and_needs_the_image(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.render(tmp, Release("1.0.0"), "/ready")
            stack = compose.ComposeStack(ROOT, tmp, mock.Mock())
            with mock.patch.object(compose.subprocess, "run") as run, self.assertRaises(UsageError) as caught:
                stack.deploy(Release("1.1.0"), "/health")
            self.assertIn("set at compose up", str(caught.exception))
            self.assertFalse(run.called, "nothing may run")
            missing = mock.Mock(return_value=mock.Mock(returncode=1, stdout="", stderr="No such image"))
            with mock.patch.object(compose.subprocess, "run", missing), mock.patch.object(
                    compose.subprocess, "Popen") as popen, self.assertRaises(Exception) as caught:
                stack.deploy(Release("1.1.0", ref="localhost/other:1.1.0"))
            self.assertIn("localhost/other:1.1.0 is not in Docker's store", str(caught.exception))
            self.assertFalse(popen.called, "Compose may not be asked to pull it")


class State(unittest.TestCase):
    def test_round_trip_and_atomic_save(self):
        stack, _ = fake_stack(tempfile.mkdtemp())
        try:
            path = stack.dir / "stack.json"
            state.save(path, stack.state)
            self.assertEqual(state.load(path, "stack.json"), stack.state)
            before = path.read_text()
            changed = state.StackState.from_json(before)
            changed.replicas = 7
            with mock.patch("os.replace", side_effect=OSError("disk gone")):
                with self.assertRaises(OSError):
                    state.save(path, changed)
            self.assertEqual(path.read_text(), before, "a failed save must leave the old state whole")
            self.assertEqual([p.name for p in path.parent.iterdir() if p.name.startswith(".stack.json")], [])
        finally:
            shutil.rmtree(stack.dir)

    def test_an_unreadable_state_says_how_to_start_afresh(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "stack.json")
            path.write_text('{"name": "x"}')
            with self.assertRaises(Exception) as caught:
                state.load(path, "stack.json")
            self.assertIn("stack-down", str(caught.exception))


class HAProxyAnswers(unittest.TestCase):
    HEADER = ("# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
              "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state "
              "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord")

    def test_servers_state_is_read_by_column_name(self):
        names = self.HEADER[2:].split()
        row = dict(zip(names, "3 live 1 s1 127.0.0.1 2 8 10 100 5 6 3 4 6 0 0 0 - 8091 -".split()))
        parsed = haproxy.parse_servers_state(f"1\n{self.HEADER}\n{' '.join(row[n] for n in names)}\n")
        s = parsed[("live", "s1")]
        self.assertEqual((s.op_state, s.admin_state, s.weight), (2, 8, 10))
        # The same row with the columns in another order (a later HAProxy may add or move some).
        shuffled = names[::-1]
        text = "1\n# " + " ".join(shuffled) + "\n" + " ".join(row[n] for n in shuffled) + "\n"
        s = haproxy.parse_servers_state(text)[("live", "s1")]
        self.assertEqual((s.op_state, s.admin_state, s.weight, s.admin), (2, 8, 10, "DRAIN"))

    def test_an_answer_without_a_header_is_an_error(self):
        with self.assertRaises(haproxy.HAProxyError):
            haproxy.parse_servers_state("1\n3 live 1 s1 127.0.0.1 2 0 100\n")

    def test_only_haproxy_py_speaks_the_runtime_api(self):
        command = re.compile(r"""["'](set (server|weight)|show (stat|servers|info)|shutdown sessions|disable |enable )""")
        for path in sorted((ROOT / "deploy/local/rehearsal").glob("*.py")):
            if path.name == "haproxy.py":
                continue
            hits = [line.strip() for line in path.read_text().splitlines() if command.search(line)]
            self.assertEqual(hits, [], f"{path.name} speaks HAProxy's runtime API")

    def test_the_configuration_retries_nothing_as_an_alb(self):
        """An ALB does not retry a failed request; the rehearsal's HAProxy must not either."""
        budget = __import__("rehearsal.timing", fromlist=["load"]).load(
            ROOT / "infrastructure/terraform/timing.json", 1)
        slots = [state.Slot("s1", 20001)]
        text = haproxy.render_config(ROOT / "deploy/local/haproxy.cfg.tmpl", haproxy.config_values(
            budget, 1, "/tmp/x.sock", {"live": 1, "test": 2, "stats": 3}, slots))
        settings = [line.split("#")[0].strip() for line in text.splitlines()]
        self.assertIn("retries 0", settings)
        self.assertFalse([s for s in settings if "redispatch" in s or s.startswith("retry-on")], settings)


class NoSideEffects(unittest.TestCase):
    def test_constructors_touch_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            stack, world = fake_stack(tmp)
            Stack(ROOT, Path(tmp) / "new", "x", stack.out, runtime=world, traffic=world.traffic)
            Deployment(stack, "rolling", Release("2.0.0"), 10, 0.1)
            self.assertEqual(world.calls, [])
            self.assertFalse((Path(tmp) / "new").exists())
            self.assertFalse((Path(tmp) / "last-deploy.json").exists())


class DeployFailures(unittest.TestCase):
    def deploy(self, strategy, world_setup, count=2):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        stack, world = fake_stack(tmp, count)
        world_setup(world)
        deployment = Deployment(stack, strategy, Release("2.0.0"), 10, 0.1)
        try:
            rc = deployment.run()
            error = None
        except Exception as err:  # noqa: BLE001 - the test looks at it
            rc, error = None, err
        record = json.loads((Path(tmp) / "last-deploy.json").read_text())
        return rc, error, record, world

    def test_a_replica_started_before_a_failed_start_is_retired(self):
        """Issue: s3 started, s4's start failed; s3 was never tracked and stayed up after
        'rolled back'."""
        for strategy in ("blue-green", "canary"):
            rc, error, record, world = self.deploy(strategy, lambda w: w.fail_start.add("s4"))
            self.assertEqual((rc, error), (1, None), strategy)
            self.assertEqual(record["result"], "rolled back", strategy)
            left = {s: str(r.release) for s, r in world.pods.items()}
            self.assertEqual(left, {"s1": "1.0.0", "s2": "1.0.0"}, f"{strategy}: replicas left after the rollback")
            self.assertIn(("start", "s3", "2.0.0"), world.calls)

    def test_a_failed_rollback_is_recorded_as_failed(self):
        """Issue: last-deploy.json said 'rolled back' when the rollback failed."""
        def setup(world):
            world.fail_verify.add(Release("2.0.0"))   # the deploy fails its verification ...
            world.fail_verify.add(Release("1.0.0"))   # ... and so does the rollback's
        rc, error, record, _ = self.deploy("rolling", setup)
        self.assertEqual(record["result"], "rollback failed")
        self.assertIn("does not verify as 1.0.0", record["rollback_error"])
        self.assertIsInstance(error, RollbackFailed)
        self.assertIn("ROLLBACK FAILED", str(error))
        self.assertIn("verification", record["reason"])

    def test_a_rollback_that_cannot_start_the_old_release_is_recorded_as_failed(self):
        def setup(world):
            world.fail_verify.add(Release("2.0.0"))
            world.fail_start.add(Release("1.0.0"))    # rolling retired the old ones: they must start again
        rc, error, record, world = self.deploy("rolling", setup)
        self.assertEqual(record["result"], "rollback failed")
        self.assertIsInstance(error, RollbackFailed)

    def test_a_good_rollback_is_recorded_as_rolled_back(self):
        rc, error, record, world = self.deploy("rolling", lambda w: w.fail_verify.add(Release("2.0.0")))
        self.assertEqual((rc, error, record["result"]), (1, None, "rolled back"))
        self.assertEqual({str(r.release) for r in world.pods.values()}, {"1.0.0"})
        self.assertEqual(len(world.pods), 2)

    def test_ctrl_c_during_a_deploy_rolls_back(self):
        rc, error, record, world = self.deploy("blue-green", lambda w: w.interrupt_verify.add(Release("2.0.0")))
        self.assertEqual((rc, error, record["result"]), (1, None, "rolled back"))
        self.assertIn("Ctrl-C", record["reason"])
        self.assertEqual({s: str(r.release) for s, r in world.pods.items()}, {"s1": "1.0.0", "s2": "1.0.0"})

    def test_ctrl_c_during_the_rollback_names_the_repair(self):
        def setup(world):
            world.fail_verify.add(Release("2.0.0"))
            world.interrupt_verify.add(Release("1.0.0"))
        rc, error, record, _ = self.deploy("rolling", setup)
        self.assertEqual(record["result"], "rollback failed")
        self.assertIsInstance(error, RollbackFailed)
        for repair in ("deploy/local/stack status", "deploy/local/stack deploy", "deploy/local/stack down"):
            self.assertIn(repair, str(error))

    def test_a_good_deploy(self):
        for strategy in ("rolling", "blue-green", "canary"):
            rc, error, record, world = self.deploy(strategy, lambda w: None)
            self.assertEqual((rc, error, record["result"]), (0, None, "deployed"), strategy)
            self.assertEqual(sorted(str(r.release) for r in world.pods.values()), ["2.0.0", "2.0.0"], strategy)


class FrontDoor(unittest.TestCase):
    def test_blue_green_is_accepted_in_both_spellings(self):
        words = Words(True)
        self.assertEqual(checks.check_strategy(words, "blue_green"), "blue-green")
        self.assertEqual(checks.check_strategy(words, "blue-green"), "blue-green")
        with self.assertRaises(UsageError) as caught:
            checks.check_strategy(words, "bluegreen")
        self.assertIn("STRATEGY='bluegreen'", str(caught.exception))

    def test_a_status_error_does_not_fail_a_good_deploy(self):
        with tempfile.TemporaryDirectory() as tmp:
            stack, world = fake_stack(tmp)
            stack.lock = stack.load = lambda: stack
            command = cli.Deploy(cli.parser().parse_args(["deploy", "--strategy", "rolling", "--version", "2.0.0"]),
                                 Words(False))
            broken = mock.Mock(side_effect=RuntimeError("podman ps timed out"))
            with mock.patch.object(images, "ensure", return_value=False), \
                    mock.patch.object(cli, "print_status", broken):
                rc = command.run(stack, ROOT, stack.out)
            self.assertEqual(rc, 0)
            self.assertTrue(broken.called)
            self.assertTrue(any("showing the status failed: podman ps timed out" in line for line in stack.out.lines))

    def run_front(self, *args, make=None):
        """deploy/local/stack, or make with mk/50-stack.mk (make="fragment": the fragment
        the Makefile includes, alone, which spares the other fragments' start-up), with a
        PATH that has no dpkg and no apt-get: any attempt to install a package fails."""
        with tempfile.TemporaryDirectory() as bin_dir:
            for tool in ("bash", "sh", "env", "dirname", "make", "cat", "sed", "grep", "sort", "awk", "git", "head",
                         "pwd"):
                found = shutil.which(tool)
                if found:
                    os.symlink(found, Path(bin_dir, tool))
            env = {"PATH": bin_dir, "HOME": os.environ.get("HOME", "/root")}
            if make == "fragment":
                cmd = ["make", "-C", str(ROOT), "-f", "mk/50-stack.mk", f"ROOT={ROOT}", *args]
            else:
                cmd = [str(ROOT / "deploy/local/stack"), *args]
            return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)

    def test_help_installs_nothing(self):
        for args in (["--help"], ["deploy", "--help"], ["up", "-h"]):
            result = self.run_front(*args)
            self.assertEqual(result.returncode, 0, f"{args}: {result.stderr}")
            self.assertIn("usage: deploy/local/stack", result.stdout)
            self.assertNotIn("install", result.stderr)

    def test_usage_errors_exit_2_on_stderr_in_the_users_words(self):
        cases = [
            (["up", "--replicas", "9"], None, "--replicas '9'"),
            (["deploy", "--strategy", "blue-green"], None, "--version is required"),
            (["deploy", "--strategy", "fast", "--version", "1.0.0"], None, "--strategy 'fast'"),
            (["stack-up", "REPLICAS=9"], "fragment", "REPLICAS='9'"),
            (["stack-up", "STACK_PORT=80"], "fragment", "STACK_PORT='80'"),
            (["stack-up", "VERSION=1.0'0"], "fragment", "VERSION=\"1.0'0\" is not a version"),
            (["stack-deploy", "VERSION=1.0.0"], "fragment", "STRATEGY is required"),
            (["stack-deploy", "STRATEGY=canary", "VERSION=1.0.0", "FAULT=slow"], "fragment", "FAULT='slow'"),
            (["stack-deploy", "STRATEGY=canary", "VERSION=1.0.0", "CANARY_PERCENT=90"], "fragment",
             "CANARY_PERCENT='90'"),
            (["stack-up", "IMAGE=Bad Image"], "fragment", "IMAGE='Bad Image' is not an image reference"),
            (["stack-deploy", "STRATEGY=rolling", "IMAGE=localhost/x:1", "CONTAINER_PORT=99"], "fragment",
             "CONTAINER_PORT='99'"),
            (["stack-up", "IMAGE=localhost/x:1", "VERSION_PATH=info"], "fragment", "VERSION_PATH='info'"),
            (["stack-up", "READY_PATH=ready"], "fragment", "READY_PATH='ready'"),
            (["up", "--image", "localhost/x:1", "--health-path", "/a b"], None, "--health-path '/a b'"),
        ]
        for args, make, words in cases:
            result = self.run_front(*args, make=make)
            self.assertIn(words, result.stderr, f"{args}")
            self.assertNotIn("install", result.stdout + result.stderr, f"{args}")
            self.assertFalse(re.search(r"^error", result.stdout, re.M), f"{args}: error on stdout")
            if make:
                self.assertIn("Error 2", result.stderr, f"{args}")
            else:
                self.assertEqual(result.returncode, 2, f"{args}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
