"""peft4j against real Hugging Face PEFT: interop in both directions, MoRA against a reference
written from ../shared/MATH.md, and peer speed. Run through interop/run; prints one line per check
and a closing 'N passed, M failed'. Offline after the install: the models are tiny and random."""

import json
import logging
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

import peft
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import (GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM,
                          LlamaForSequenceClassification)

import models
import real_models

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "interop" / "work"
JAVA_CP = f"{ROOT}/peft-cli/target/peft4j.jar:{ROOT}/peft-cli/target/lib/*"
DORA_FIXTURE = ROOT / "peft-dora" / "src" / "test" / "resources" / "peft-dora-llama-tiny"
CHECKS = []
RESULTS = []


def check(function):
    CHECKS.append(function)
    return function


def java(*args):
    """Runs the Java side of the harness (interop/Peft4jSide.java) on the CLI's class path."""
    subprocess.run(["java", "-cp", JAVA_CP, str(ROOT / "interop" / "Peft4jSide.java"), *map(str, args)],
                   check=True, capture_output=True, text=True)


def peft4j(*args):
    """Runs the peft4j command."""
    result = subprocess.run([str(ROOT / "peft4j"), *map(str, args)], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"peft4j {' '.join(map(str, args))} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


# ---------------------------------------------------------------------------------------------
# Tiny models, saved with save_pretrained so real model.safetensors files exist.

def llama_config():
    return LlamaConfig(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64,
                       pad_token_id=0, num_labels=2)


def tiny(kind):
    torch.manual_seed(0)
    if kind == "llama":
        return LlamaForCausalLM(llama_config())
    if kind == "llama-cls":
        return LlamaForSequenceClassification(llama_config())
    return GPT2LMHeadModel(GPT2Config(vocab_size=128, n_positions=64, n_embd=64, n_layer=2, n_head=4))


def save_base(kind):
    directory = WORK / f"base-{kind}"
    if not (directory / "model.safetensors").exists():
        tiny(kind).save_pretrained(directory, safe_serialization=True)
    return directory


def train(model, kind, steps=5):
    """A few AdamW steps so that every adapter tensor moves away from its initial value."""
    torch.manual_seed(1)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(steps):
        ids = torch.randint(1, 128, (4, 16))
        if kind == "llama-cls":
            loss = model(input_ids=ids, labels=torch.randint(0, 2, (4,))).loss
        else:
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def compare_files(expected_file, actual_file, base_file, rtol=1e-5, atol=1e-6):
    """Every tensor agrees within rtol (relative) and atol; returns a summary that also counts
    the tensors the merge changed, so that a merge that did nothing cannot pass unnoticed."""
    expected, actual, base = load_file(expected_file), load_file(actual_file), load_file(base_file)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing or extra:
        raise AssertionError(f"tensor names differ: missing {missing[:5]}, extra {extra[:5]}")
    worst = 0.0
    for name, tensor in expected.items():
        other = actual[name]
        if tensor.shape != other.shape or tensor.dtype != other.dtype:
            raise AssertionError(f"{name}: {other.dtype}{tuple(other.shape)} vs {tensor.dtype}{tuple(tensor.shape)}")
        difference = (other.double() - tensor.double()).abs()
        allowed = atol + rtol * tensor.double().abs()
        if not bool((difference <= allowed).all()):
            raise AssertionError(f"{name}: max difference {difference.max().item():.3e}")
        worst = max(worst, (difference / (tensor.double().abs() + 1e-12)).max().item() if tensor.numel() else 0)
    changed = sum(1 for name, tensor in expected.items() if name not in base or not torch.equal(tensor, base[name]))
    if changed == 0:
        raise AssertionError("the merge changed no tensor")
    return f"{len(expected)} tensors agree, {changed} changed by the merge (max relative difference {worst:.1e})"


def peft_then_merge(name, kind, config):
    """PEFT trains an adapter and merges it; peft4j merges the same adapter into the same base."""
    base = save_base(kind)
    model = get_peft_model(tiny(kind), config)
    train(model, kind)
    adapter = WORK / f"peft-{name}"
    model.save_pretrained(adapter)
    merged = WORK / f"peft-{name}-merged"
    model.merge_and_unload().save_pretrained(merged, safe_serialization=True)
    out = WORK / f"peft4j-{name}-merged.safetensors"
    peft4j("merge", "--base", base / "model.safetensors", "--adapter", adapter, "--out", out)
    return compare_files(merged / "model.safetensors", out, base / "model.safetensors")


# ---------------------------------------------------------------------------------------------
# 1. PEFT -> peft4j

@check
def peft_lora_llama_merges_identically():
    return peft_then_merge("lora", "llama", LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))


@check
def peft_lora_rslora_rank_alpha_patterns_merge_identically():
    return peft_then_merge("lora-patterns", "llama", LoraConfig(
        r=4, lora_alpha=8, use_rslora=True, target_modules=["q_proj", "v_proj", "o_proj"],
        rank_pattern={"layers.0.self_attn.q_proj": 2, "v_proj": 6}, alpha_pattern={"o_proj": 3}))


@check
def peft_lora_gpt2_fan_in_fan_out_merges_identically():
    return peft_then_merge("lora-fifo", "gpt2", LoraConfig(
        r=4, lora_alpha=8, target_modules=["c_attn", "c_proj"], fan_in_fan_out=True))


@check
def peft_dora_llama_merges_identically():
    return peft_then_merge("dora", "llama", LoraConfig(r=4, lora_alpha=8, use_dora=True, target_modules=["q_proj", "v_proj"]))


@check
def peft_dora_gpt2_conv1d_merges_identically():
    return peft_then_merge("dora-fifo", "gpt2", LoraConfig(
        r=4, lora_alpha=8, use_dora=True, target_modules=["c_attn"], fan_in_fan_out=True))


@check
def peft_lora_modules_to_save_merges_identically():
    return peft_then_merge("lora-mts", "llama-cls", LoraConfig(
        task_type="SEQ_CLS", r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], modules_to_save=["score"]))


# ---------------------------------------------------------------------------------------------
# 2. peft4j -> PEFT

LLAMA_MODULES = [f"model.layers.{i}.self_attn.{p}" for i in range(2) for p in ("q_proj", "v_proj")]


def peft4j_then_peft(method):
    base = save_base("llama")
    adapter = WORK / f"peft4j-{method}"
    java("train", base / "model.safetensors", method, adapter, *LLAMA_MODULES)
    caught = []
    handler = logging.Handler()
    handler.emit = lambda record: caught.append(record.getMessage())
    for logger in (logging.getLogger("peft"), logging.getLogger("transformers")):
        logger.addHandler(handler)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        model = PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained(base), adapter)
    messages = caught + [str(w.message) for w in warned]
    bad = [m for m in messages if "missing" in m.lower() or "unexpected" in m.lower()]
    if bad:
        raise AssertionError(f"PEFT warned while loading: {bad}")
    merged = WORK / f"peft4j-{method}-peft-merged"
    model.merge_and_unload().save_pretrained(merged, safe_serialization=True)
    out = WORK / f"peft4j-{method}-merged.safetensors"
    peft4j("merge", "--base", base / "model.safetensors", "--adapter", adapter, "--out", out)
    return "PEFT loads it without warnings; " + compare_files(merged / "model.safetensors", out, base / "model.safetensors")


@check
def peft4j_lora_loads_in_peft_and_merges_identically():
    return peft4j_then_peft("lora")


@check
def peft4j_dora_loads_in_peft_and_merges_identically():
    return peft4j_then_peft("dora")


# ---------------------------------------------------------------------------------------------
# 3. MoRA against a PyTorch reference written from MATH.md (kongds/MoRA's fork is not on PyPI)

def groups(length, r):
    """g_D: contiguous groups of an axis of length D into r groups (MATH.md §4.2)."""
    q, m = divmod(length, r)
    return [i // (q + 1) if i < m * (q + 1) else m + (i - m * (q + 1)) // q for i in range(length)]


def cyclic_pad(x, r):
    k = x.shape[-1]
    n = math.ceil(k / r)
    index = torch.tensor([p % k for p in range(n * r)])
    return x[..., index], n


def mora_forward(x, m, d, kind):
    r = m.shape[0]
    k = x.shape[-1]
    if kind in (1, 4):
        padded, n = cyclic_pad(x, r)
        c = padded.reshape(*x.shape[:-1], n, r).sum(-2)
    elif kind in (2, 3):
        c = torch.zeros(*x.shape[:-1], r, dtype=x.dtype)
        c.index_add_(-1, torch.tensor(groups(k, r)), x)
    if kind in (1, 2, 3, 4):
        y = c @ m.T
        if kind in (1, 3):
            return y[..., [o % r for o in range(d)]]
        return y[..., groups(d, r)] if d >= r else y[..., :d]
    padded, n = cyclic_pad(x, r)
    blocks = padded.reshape(*x.shape[:-1], n, r)
    h = r // 2
    theta = torch.tensor([10000 ** (-2 * j / r) for j in range(h)], dtype=torch.float32)
    angles = torch.arange(n, dtype=torch.float32)[:, None] * torch.cat([theta, theta])[None, :]
    rotated_half = torch.cat([-blocks[..., h:], blocks[..., :h]], -1)
    rotated = blocks * angles.cos() + rotated_half * angles.sin()
    z = (rotated @ m.T).reshape(*x.shape[:-1], n * r)
    return z[..., [o % (n * r) for o in range(d)]]


def mora_delta(m, d, k, kind):
    """ΔW by the identity probe: the forward applied to the rows of I_k, transposed (MATH.md §6)."""
    return mora_forward(torch.eye(k, dtype=torch.float64), m.double(), d, kind).T


@check
def mora_forward_and_delta_match_the_reference():
    out = WORK / "mora-java.safetensors"
    java("mora", out)
    tensors = load_file(out)
    cases = sorted({name.rsplit(".", 1)[0] for name in tensors})
    worst = 0.0
    for case in cases:
        kind, d, k, _ = (int(part[len(p):]) for part, p in zip(case.split("_"), ("type", "d", "k", "r")))
        m, x = tensors[case + ".M"], tensors[case + ".x"]
        expected_forward = mora_forward(x.double(), m.double(), d, kind)
        expected_delta = mora_delta(m, d, k, kind)
        for name, expected in ((".forward", expected_forward), (".delta", expected_delta)):
            actual = tensors[case + name].double()
            difference = ((actual - expected).abs() / (expected.abs().max() + 1e-12)).max().item()
            worst = max(worst, difference)
            if difference > 1e-5:
                raise AssertionError(f"{case}{name}: relative difference {difference:.2e}")
    return f"{len(cases)} cases (types 1, 2, 3, 4, 6), max relative difference {worst:.1e}"


# ---------------------------------------------------------------------------------------------
# 4. Peer speed: PEFT's real layers in eager PyTorch vs peft4j on the same shapes

PEER_GOAL = 1.0  # peft4j / peer time, issue 17


class MoraReference(torch.nn.Module):
    """The reference MoRA forward (mora_forward above) on a frozen linear layer, with the index tables and
    RoPE angles built once, as an efficient PyTorch implementation would: the speed peer for peft4j's MoRA."""

    def __init__(self, base, m, kind):
        super().__init__()
        self.base, self.kind = base, kind
        self.m = torch.nn.Parameter(m)
        r, k, d = m.shape[0], base.in_features, base.out_features
        n = math.ceil(k / r)
        self.n, self.r = n, r
        self.register_buffer("pad", torch.tensor([p % k for p in range(n * r)]))
        if kind == 1:
            self.register_buffer("out", torch.tensor([o % r for o in range(d)]))
        else:
            h = r // 2
            theta = torch.tensor([10000 ** (-2 * j / r) for j in range(h)], dtype=torch.float32)
            angles = torch.arange(n, dtype=torch.float32)[:, None] * torch.cat([theta, theta])[None, :]
            self.register_buffer("cos", angles.cos())
            self.register_buffer("sin", angles.sin())
            self.register_buffer("out", torch.tensor([o % (n * r) for o in range(d)]))

    def forward(self, x):
        blocks = x[..., self.pad].reshape(*x.shape[:-1], self.n, self.r)
        if self.kind == 1:
            y = blocks.sum(-2) @ self.m.T
            return self.base(x) + y[..., self.out]
        h = self.r // 2
        rotated = blocks * self.cos + torch.cat([-blocks[..., h:], blocks[..., :h]], -1) * self.sin
        z = (rotated @ self.m.T).reshape(*x.shape[:-1], self.n * self.r)
        return self.base(x) + z[..., self.out]


def peer_layer(method, d, r, m_size):
    torch.manual_seed(0)
    layer = torch.nn.Sequential(torch.nn.Linear(d, d))
    if method == CONTROL:  # the frozen layer alone, no adapter
        return layer.requires_grad_(False)
    if method in ("lora", "dora"):
        model = get_peft_model(layer, LoraConfig(r=r, lora_alpha=2 * r, target_modules=["0"], use_dora=method == "dora"))
    else:
        base = layer[0]
        base.requires_grad_(False)
        model = MoraReference(base, torch.randn(m_size, m_size) * 0.01, 1 if method == "mora_sharing" else 6)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.requires_grad:
                parameter.normal_(0, 0.01)
    return model


PEER_CASES = [(method, d, r) for d in (1024, 4096) for r in (8, 64)
              for method in ("lora", "dora", "mora_sharing", "mora_rotation")]
# the frozen layer alone, timed the same way: the two sides' shared base matmul, without any adapter; its ratio is
# the floor under every case of its d (reported, not a target)
CONTROL = "base"
CONTROL_CASES = [(CONTROL, d, 0) for d in (1024, 4096)]


def is_control(key):
    return key.startswith(f"{CONTROL}_")


class JavaTiming:
    """peft4j's side of the peer timing: Peft4jSide's timing server, one JVM kept warm for every case."""

    def __init__(self):
        self.process = subprocess.Popen(
            ["java", "-cp", JAVA_CP, str(ROOT / "interop" / "Peft4jSide.java"), "timing-server"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def ask(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise AssertionError(f"the Java timing server stopped at '{line}'")
        return json.loads(answer)

    def close(self):
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait(timeout=60)


def peer_times(model, optimizer, x, y, what, n):
    """The milliseconds of n calls of PEFT's (or the MoRA reference's) train step or eval forward."""
    model.train(what == "train_step")
    times = []
    for _ in range(n):
        start = time.perf_counter()
        if what == "train_step":
            torch.nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
        else:
            with torch.no_grad():
                model(x)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def interleaved_timing():
    """Medians per case of both sides' train step and eval forward, the two sides taking turns in short
    bursts (Java, then Python, then Java, ...) so that the machine's load falls on both alike; the first
    burst of each is warm-up, and the JVM warms up before the first case: every method's step and forward at
    d = 1024 for about a second each (r = 8 and 64, so both of rotation's paths), until the JIT has compiled
    them (50 calls of LoRA alone left the first timed cases 10% slow)."""
    torch.set_num_threads(2)
    java_side = JavaTiming()
    ours, theirs = {}, {}
    try:
        for method, d, r in PEER_CASES:
            if d == 1024:
                java_side.ask(f"case {method} {d} {r}")
                for what in ("train_step", "eval_forward"):
                    java_side.ask(f"run {what} 200")
        for method, d, r in PEER_CASES + CONTROL_CASES:
            name = f"{method}_d{d}" if method == CONTROL else f"{method}_d{d}_r{r}"
            sizes = java_side.ask(f"case {method} {d} {r}")
            model = peer_layer(method, d, r, int(sizes.get("m", 0)))
            x, y = torch.randn(256, d), torch.randn(256, d)
            trained = [p for p in model.parameters() if p.requires_grad]
            optimizer = torch.optim.AdamW(trained, lr=1e-3) if trained else None
            burst, bursts = (2, 16) if d >= 4096 else (5, 9)
            for what in ("eval_forward",) if method == CONTROL else ("train_step", "eval_forward"):
                mine, peer = [], []
                for b in range(bursts):
                    java_times = java_side.ask(f"run {what} {burst}")
                    peer_run = peer_times(model, optimizer, x, y, what, burst)
                    if b > 0:
                        mine += java_times
                        peer += peer_run
                ours[f"{name}_{what}_ms"] = statistics.median(mine)
                theirs[f"{name}_{what}_ms"] = statistics.median(peer)
    finally:
        java_side.close()
    return ours, theirs


@check
def peer_speed():
    ours, theirs = interleaved_timing()
    lines, missed = [], []
    for key in ours:
        ratio = ours[key] / theirs[key]
        if is_control(key):
            lines.append(f"control {key[:-3]} (no adapter): peft4j {ours[key]:.2f} ms, peer {theirs[key]:.2f} ms, "
                         f"ratio {ratio:.2f}")
            continue
        verdict = "PASS" if ratio <= PEER_GOAL else "MISS"
        lines.append(f"{verdict} {key[:-3]}: peft4j {ours[key]:.2f} ms, peer {theirs[key]:.2f} ms, ratio {ratio:.2f}")
        if ratio > PEER_GOAL:
            missed.append(f"{key[:-3]} {ratio:.2f}")
    (WORK / "speed.json").write_text(json.dumps({"peft4j": ours, "peer": theirs}, indent=2))
    detail = "\n    ".join(lines)
    targets = sum(not is_control(key) for key in ours)
    if missed:  # the misses on the first line: a FAIL prints only that
        raise AssertionError(f"{len(missed)} of {targets} ratios above {PEER_GOAL} ({', '.join(missed)}):\n    {detail}")
    return f"every ratio <= {PEER_GOAL}:\n    {detail}"


# ---------------------------------------------------------------------------------------------
# peft4j combine against PEFT's add_weighted_adapter

def lora_delta(directory, module, scaling):
    """s·B·A of one module of a saved LoRA adapter, float64."""
    tensors = load_file(directory / "adapter_model.safetensors")
    prefix = f"base_model.model.{module}."
    return scaling * tensors[prefix + "lora_B.weight"].double() @ tensors[prefix + "lora_A.weight"].double()


def best_rank(matrix, rank):
    """The best rank-r approximation of a matrix (Eckart–Young), by torch.linalg.svd in float64."""
    u, sv, vh = torch.linalg.svd(matrix.double(), full_matrices=False)
    return u[:, :rank] @ torch.diag(sv[:rank]) @ vh[:rank]


@check
def combine_matches_peft_add_weighted_adapter():
    """Two PEFT LoRA adapters (r 4 and 4, α 8 and 12, then r 2 for cat/svd) combined by PEFT and by
    `peft4j combine`; every module's ΔW of the results must agree."""
    from peft import PeftModel
    sources = []
    for name, r, alpha, seed in (("one", 4, 8, 0), ("two", 4, 12, 1), ("three", 2, 6, 2)):
        model = get_peft_model(tiny("llama"), LoraConfig(r=r, lora_alpha=alpha, target_modules=["q_proj", "v_proj"]))
        torch.manual_seed(seed)
        with torch.no_grad():
            for parameter_name, parameter in model.named_parameters():
                if "lora_" in parameter_name:
                    parameter.normal_(0, 0.1)
        directory = WORK / f"combine-{name}"
        model.save_pretrained(directory)
        sources.append(directory)
    lines = []
    cases = (("linear", [0, 1], [0.6, 0.9], None), ("cat", [0, 2], [0.6, -0.4], None), ("svd", [0, 2], [0.6, 0.4], 3))
    for kind, chosen, weights, rank in cases:
        peft_model = PeftModel.from_pretrained(tiny("llama"), sources[chosen[0]], adapter_name="a0")
        peft_model.load_adapter(sources[chosen[1]], adapter_name="a1")
        peft_model.add_weighted_adapter(["a0", "a1"], weights, "combined", combination_type=kind, svd_rank=rank)
        # ΔW straight from PEFT's layers (its save_pretrained refuses the non-contiguous svd factors)
        theirs = {name[len("base_model.model."):]: module.get_delta_weight("combined").double()
                  for name, module in peft_model.named_modules()
                  if hasattr(module, "lora_A") and "combined" in module.lora_A}
        ours = WORK / f"combine-peft4j-{kind}"
        args = ["combine", "--adapter", sources[chosen[0]], "--adapter", sources[chosen[1]],
                "--weights", ",".join(map(str, weights)), "--type", kind, "--out", ours]
        if rank is not None:
            args += ["--rank", rank]
        peft4j(*args)
        modules = sorted(theirs)
        if kind == "svd":
            # PEFT 0.17.1 weights each ΔW_i (which already holds s_i) by w_i·s_i; peft4j's svd is the best
            # rank-R approximation of Σ w_i·ΔW_i, as cat is Σ w_i·ΔW_i exactly. Check each against its definition.
            scalings = [json.loads((sources[i] / "adapter_config.json").read_text()) for i in chosen]
            scalings = [c["lora_alpha"] / c["r"] for c in scalings]
            peft_gap = max((theirs[m] - best_rank(sum(w * s * lora_delta(sources[i], m, s) for i, w, s in zip(
                chosen, weights, scalings)), rank)).abs().max().item() for m in modules)
            theirs = {m: best_rank(sum(w * lora_delta(sources[i], m, s) for i, w, s in zip(chosen, weights, scalings)),
                                   rank) for m in modules}
            if peft_gap > 1e-5:
                raise AssertionError(f"PEFT's svd is not the rank-{rank} SVD of Σ w_i·s_i·ΔW_i ({peft_gap:.1e})")
            lines.append(f"PEFT's svd = the rank-{rank} SVD of Σ w_i·s_i·ΔW_i (s_i twice) within {peft_gap:.1e}")
        worst = max((theirs[m] - lora_delta(ours, m, 1.0)).abs().max().item() for m in modules)
        scale = max(theirs[m].abs().max().item() for m in modules)
        if worst > 1e-5 * max(scale, 1):
            raise AssertionError(f"{kind}: PEFT's and peft4j's ΔW differ by {worst:.2e} (max |ΔW| {scale:.3f})")
        lines.append(f"{kind}: {len(modules)} modules, max |ΔW| difference {worst:.1e} (max |ΔW| {scale:.3f})")
    return "; ".join(lines)


# ---------------------------------------------------------------------------------------------
# A real PEFT DoRA adapter for the Java tests (peft-dora's test resources)

@check
def dora_fixture_for_java_tests():
    """Writes a small PEFT DoRA adapter, the base weights it adapts and PEFT's merged weights."""
    torch.manual_seed(3)
    base = tiny("llama")
    modules = LLAMA_MODULES
    base_weights = {m + ".weight": base.get_submodule(m).weight.detach().clone() for m in modules}
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, use_dora=True, target_modules=["q_proj", "v_proj"]))
    train(model, "llama")
    model.save_pretrained(DORA_FIXTURE)
    for extra in ("README.md",):
        (DORA_FIXTURE / extra).unlink(missing_ok=True)
    merged = model.merge_and_unload()
    save_file(base_weights, DORA_FIXTURE / "base.safetensors", metadata={"format": "pt"})
    save_file({m + ".weight": merged.get_submodule(m).weight.detach().clone() for m in modules},
              DORA_FIXTURE / "merged.safetensors", metadata={"format": "pt"})
    size = sum(f.stat().st_size for f in DORA_FIXTURE.iterdir())
    return f"wrote {DORA_FIXTURE.relative_to(ROOT)} ({size // 1024} KiB)"


@check
def model_references_for_java_tests():
    """Writes peft-models' reference data (interop/models.py): tiny random Llama, Qwen2, GPT-2 and Mistral
    with their logits, stories260k's logits, greedy text and paragraph NLL, and a PEFT LoRA adapter on it."""
    return "; ".join(models.write_all(models.REFERENCE))


# ---------------------------------------------------------------------------------------------
# 5. peft-models against transformers, live: logits, a PEFT adapter, perplexity; peer speed and
#    memory on SmolLM2-135M's shape (interop/real_models.py, Java side: Peft4jSide logits / peer)

CHECKS.extend(real_models.CHECKS)


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"torch {torch.__version__} (libtorch {torch.__version__.split('+')[0]}), transformers {transformers.__version__}, "
          f"peft {peft.__version__}; peft4j on DJL 0.35.0 with libtorch 2.7.1", flush=True)
    for function in CHECKS:
        try:
            detail = function()
            RESULTS.append(True)
            print(f"PASS {function.__name__}: {detail}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported as a result line
            RESULTS.append(False)
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            print(f"FAIL {function.__name__}: {message}", flush=True)
            if os.environ.get("INTEROP_VERBOSE"):
                traceback.print_exc()
    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
