"""Graft's Python client against a running Graft, with Debian's torch.

Needs GRAFT_URL and GRAFT_TOKEN (an admin or write token); PythonClientFlowTests (JUnit) starts a
Graft and runs this file with them, and .ci/run runs that test. Run by hand:

    GRAFT_URL=http://localhost:8080 GRAFT_TOKEN=... /usr/bin/python3 -m unittest discover \
        -s clients/python/tests -v
"""

import os
import sys
import tempfile
import tracemalloc
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from graft_client import (GraftClient, GraftError, WarmStartFailed, describe,  # noqa: E402
                          sha256_of, warm_start)

URL = os.environ.get("GRAFT_URL")
TOKEN = os.environ.get("GRAFT_TOKEN")
MIB = 1 << 20


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


class Cnn(nn.Module):
    def __init__(self, extra_bn=False):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.fc = nn.Linear(16, 10)
        self.head_bn = nn.BatchNorm1d(10) if extra_bn else None


def encoder(final_norm=False):
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(32) if final_norm else None)


@unittest.skipUnless(URL and TOKEN, "GRAFT_URL and GRAFT_TOKEN name the Graft to test against")
class ClientFlowTest(unittest.TestCase):

    def setUp(self):
        self.client = GraftClient(URL, TOKEN)
        self.dir = tempfile.mkdtemp(prefix="graft-python-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_readme_flow_streams_uploads_and_downloads(self):
        torch.manual_seed(0)
        source = nn.Sequential(nn.Linear(2048, 4096))  # 32 MiB of float32 weights
        ckpt = self.path("source.pt")
        torch.save(source.state_dict(), ckpt)
        self.assertGreater(os.path.getsize(ckpt), 32 * MIB)

        tracemalloc.start()
        stored = self.client.upload_checkpoint(ckpt, name=unique("py-big"))
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.assertEqual(stored["sha256"], sha256_of(ckpt))
        self.assertLess(upload_peak, 8 * MIB, "the upload read the file in blocks")

        target = nn.Sequential(nn.Linear(2048, 4096), nn.Linear(4096, 8))
        architecture = self.client.create_architecture(describe(target, name="Target"))
        self.assertEqual(architecture["source"], "JSON")
        self.assertEqual(architecture["entryCount"], 4)

        options = {"strict": False}
        preview = self.client.create_preview(stored["id"], architecture["id"], options)
        self.assertEqual(preview["summary"]["loaded"], 2)
        self.assertEqual(preview["missingKeys"], ["1.weight", "1.bias"])

        model = unique("py-flow")
        run = self.client.start_warm_start(stored["id"], architecture["id"],
                                           {"model": model, "formats": ["pytorch"]}, options)
        self.assertEqual(run["status"], "QUEUED")
        run = self.client.wait(run["id"], timeout=300, progress=False)
        self.assertEqual(run["status"], "SUCCEEDED", run.get("error"))
        report = self.client.get_warm_start_report(run["id"])
        self.assertEqual(report["summary"], preview["summary"])
        # The ended run's stream: its last progress, then the final status event, then the end;
        # resumed after "end", nothing.
        events = list(self.client.events(run["id"]))
        self.assertEqual(events[-1][:2], ("end", "status"))
        self.assertEqual(events[-1][2]["status"], "SUCCEEDED")
        done = [d["tensorsDone"] for _, e, d in events if e == "progress"]
        self.assertEqual(done, sorted(done))
        self.assertEqual(list(self.client.events(run["id"], last_event_id="end")), [])

        version = self.client.get_model_version(model, run["modelVersion"]["version"])
        self.assertEqual(version["lineage"]["checkpointSha256"], stored["sha256"])

        out = self.path("out.pt")
        tracemalloc.start()
        self.client.download_artifact(model, version["version"], "pytorch", out)
        _, download_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.assertLess(download_peak, 8 * MIB, "the download was written in blocks")
        self.assertEqual(sha256_of(out), version["artifacts"][0]["sha256"])
        loaded = torch.load(out)
        self.assertTrue(torch.equal(loaded["0.weight"], source[0].weight.detach()))
        self.assertEqual(list(loaded), ["0.weight", "0.bias", "1.weight", "1.bias"])

        with self.assertRaises(GraftError) as refused:
            self.client.get_model_version(model, 99)
        self.assertEqual(refused.exception.status, 404)
        self.assertIn("99", refused.exception.detail)

    def assert_describe_matches_state_dict(self, source, target, options):
        ckpt = self.path(unique("source") + ".pt")
        torch.save(source.state_dict(), ckpt)

        # Through describe(): no tensor data of the target leaves the process.
        via_describe = warm_start(self.client, ckpt, target, options,
                                  {"model": unique("py-describe"), "formats": ["pytorch"]},
                                  progress=False)
        # Through an uploaded fresh state dict of the same target.
        fresh = self.path(unique("fresh") + ".pt")
        torch.save(target.state_dict(keep_vars=True), fresh)
        stored = self.client.find_checkpoint(sha256_of(ckpt))
        architecture = self.client.upload_architecture(fresh)
        self.assertEqual(architecture["source"], "STATE_DICT")
        run = self.client.start_warm_start(stored["id"], architecture["id"],
                                           {"model": unique("py-statedict"),
                                            "formats": ["pytorch"]}, options)
        run = self.client.wait(run["id"], timeout=300, progress=False)
        self.assertEqual(run["status"], "SUCCEEDED", run.get("error"))

        report_describe = self.client.get_warm_start_report(via_describe["runId"])
        report_state_dict = self.client.get_warm_start_report(run["id"])
        self.assertEqual(report_describe, report_state_dict)
        self.assertEqual(via_describe["summary"], report_state_dict["summary"])

        a = self.path("a.pt")
        b = self.path("b.pt")
        self.client.download_artifact(via_describe["model"], via_describe["version"], "pytorch", a)
        ref = run["modelVersion"]
        self.client.download_artifact(ref["model"], ref["version"], "pytorch", b)
        ta, tb = torch.load(a), torch.load(b)
        self.assertEqual(list(ta), list(target.state_dict()))
        self.assertEqual(list(ta), list(tb))
        for key in ta:
            self.assertEqual(ta[key].dtype, tb[key].dtype, key)
            self.assertTrue(torch.equal(ta[key], tb[key]), "bytes of " + key)
        return report_describe

    def test_describe_gives_the_same_warm_start_as_a_state_dict_for_a_cnn_with_batchnorm(self):
        torch.manual_seed(1)
        source = Cnn()
        target = Cnn(extra_bn=True)  # a new BatchNorm1d: initialised by its default scheme
        report = self.assert_describe_matches_state_dict(source, target, {"strict": False})
        initialized = {e["targetKey"] for e in report["entries"] if e["status"] == "INITIALIZED"}
        self.assertEqual(initialized, {"head_bn.weight", "head_bn.bias", "head_bn.running_mean",
                                       "head_bn.running_var", "head_bn.num_batches_tracked"})

    def test_describe_gives_the_same_warm_start_as_a_state_dict_for_a_transformer_encoder(self):
        torch.manual_seed(2)
        source = encoder()
        target = encoder(final_norm=True)  # a new final LayerNorm
        report = self.assert_describe_matches_state_dict(source, target, {"strict": False})
        self.assertEqual(report["missingKeys"], ["norm.weight", "norm.bias"])
        self.assertEqual(report["summary"]["loaded"], len(source.state_dict()))

    def test_warm_start_reuses_a_stored_checkpoint_and_reports_a_failed_preview(self):
        torch.manual_seed(3)
        source = Cnn()
        ckpt = self.path("reuse.pt")
        torch.save(source.state_dict(), ckpt)
        first = warm_start(self.client, ckpt, Cnn(), None,
                           {"model": unique("py-reuse"), "formats": ["safetensors"]},
                           progress=False)

        def refuse(*args, **kwargs):
            raise AssertionError("uploaded a checkpoint Graft already holds")

        self.client.upload_checkpoint = refuse
        second = warm_start(self.client, ckpt, Cnn(), None,
                            {"model": unique("py-reuse"), "formats": ["safetensors"]},
                            progress=False)
        self.assertEqual(first["lineage"]["checkpointId"], second["lineage"]["checkpointId"])

        with self.assertRaises(WarmStartFailed) as failed:
            warm_start(self.client, ckpt, Cnn(extra_bn=True), {"strict": True},
                       {"model": unique("py-strict")}, progress=False)
        self.assertIn("Missing key(s)", failed.exception.report["error"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
