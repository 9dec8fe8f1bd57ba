"""peft-models (dev.peft4j.models) live against Hugging Face transformers and PEFT: logits parity on the
real stories260k and on tiny random Llama-GQA, Qwen2, GPT-2 and Mistral checkpoints, a PEFT LoRA adapter
loaded by peft4j, the perplexity command against transformers' loss; adapters trained by `peft4j finetune`
loaded by PEFT and merged by `peft4j merge` loaded by transformers, with equal logits; and peer speed and
memory on the 134.5M-parameter shape of SmolLM2-135M with random weights (eval forward, KV-cache generation,
RSS, one LoRA training step).

checks.py registers CHECKS after its own. The Java side is interop/Peft4jSide.java (`logits`, `peer`,
`train-peer`), each run in its own JVM. `python real_models.py peer-transformers|peer-peft-train SPEC OUT`
is the Python half of a peer measurement, which checks.py starts in its own process so that both sides
start clean."""

import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "interop" / "work"
JAVA_CP = f"{ROOT}/peft-cli/target/peft4j.jar:{ROOT}/peft-cli/target/lib/*"
REFERENCE = ROOT / "peft-models" / "src" / "test" / "resources" / "reference"
STORIES = Path(os.environ.get("STORIES260K", ROOT.parent / "shared" / "models" / "stories260k"))
SMOLLM_CONFIG = Path(os.environ.get("SMOLLM2_CONFIG", ROOT.parent / "shared" / "models" / "smollm2-135m-config"))
SMOLLM_RANDOM = WORK / "smollm2-random"
THREADS = int(os.environ.get("INTEROP_THREADS", "2"))
LOGITS_TOLERANCE = 1e-4
NLL_TOLERANCE = 1e-4
TINY = ("tiny-llama-gqa", "tiny-qwen2", "tiny-gpt2", "tiny-mistral-linear-rope")
PARAGRAPH = ("One day, a little boy named Tom went to the park with his mom. He saw a big red ball under a "
             "tree. Tom ran to the ball and kicked it very high. The ball flew over the fence, and a friendly "
             "dog brought it back. Tom was so happy. He said, \"Thank you, dog!\" They played together all "
             "day and became best friends.")
CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def thread_env():
    """The same thread count for PyTorch in Python and for libtorch under DJL."""
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS=str(THREADS), MKL_NUM_THREADS=str(THREADS),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def java_side(*args, timeout=900):
    """Runs a subcommand of interop/Peft4jSide.java in its own JVM; returns its standard output."""
    command = ["java", f"-Dai.djl.pytorch.num_threads={THREADS}", "-Dai.djl.offline=true", "-cp", JAVA_CP,
               str(ROOT / "interop" / "Peft4jSide.java"), *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, env=thread_env(), timeout=timeout)
    if result.returncode != 0:
        tail = [line for line in result.stderr.strip().splitlines() if line.strip()][-15:]
        raise AssertionError(f"Peft4jSide {args[0]} failed (exit {result.returncode}): " + " | ".join(tail))
    return result.stdout


def python_side(*args, timeout=1800):
    """Runs this file as a script (a mode of __main__) in its own Python process."""
    result = subprocess.run([sys.executable, str(Path(__file__).resolve()), *map(str, args)], capture_output=True,
                            text=True, env=thread_env(), timeout=timeout)
    if result.returncode != 0:
        tail = [line for line in result.stderr.strip().splitlines() if line.strip()][-5:]
        raise AssertionError(f"real_models.py {args[0]} failed (exit {result.returncode}): " + " | ".join(tail))
    return result.stdout


def peft4j_cli(*args):
    """Runs the peft4j command (the script at the repository root)."""
    result = subprocess.run([str(ROOT / "peft4j"), *map(str, args)], capture_output=True, text=True,
                            env=thread_env(), timeout=900)
    if result.returncode != 0:
        raise AssertionError(f"peft4j {args[0]} failed: " + " | ".join(result.stderr.strip().splitlines()[-10:]))
    return result.stdout


# ---------------------------------------------------------------------------------------------
# Logits parity

def transformers_model(directory, adapter=None):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(directory, attn_implementation="eager", dtype=torch.float32).eval()
    if adapter is not None:
        model = PeftModel.from_pretrained(model, adapter).eval()
    return model


def left_padded(rows, pad):
    """A left-padded batch of id lists: (input_ids, attention_mask) as nested lists."""
    width = max(map(len, rows))
    ids = [[pad] * (width - len(row)) + list(row) for row in rows]
    mask = [[0] * (width - len(row)) + [1] * len(row) for row in rows]
    return ids, mask


def random_cases(vocab, pad, seed, max_length):
    """An unpadded row, an unpadded batch and a left-padded batch of random ids (never the pad id)."""
    generator = torch.Generator().manual_seed(seed)

    def ids(n):
        return [i if i != pad else (pad + 1) % vocab for i in torch.randint(0, vocab, (n,), generator=generator).tolist()]

    length = min(24, max_length)
    padded_ids, padded_mask = left_padded([ids(length), ids(length - 5), ids(3)], pad)
    return [
        {"name": "single", "input_ids": [ids(length)], "attention_mask": None},
        {"name": "batch", "input_ids": [ids(length), ids(length)], "attention_mask": None},
        {"name": "left_padded", "input_ids": padded_ids, "attention_mask": padded_mask},
    ]


def reference_logits(model, case):
    ids = torch.tensor(case["input_ids"])
    with torch.no_grad():
        if case["attention_mask"] is None:
            return model(ids).logits, torch.ones_like(ids)
        mask = torch.tensor(case["attention_mask"])
        # Positions follow the mask, as generate() and peft4j lay them out.
        positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
        return model(ids, attention_mask=mask, position_ids=positions).logits, mask


def logits_parity(name, directory, cases, adapter=None, model=None):
    """peft4j's logits for the cases against transformers' (PEFT's with an adapter), where the mask is 1."""
    WORK.mkdir(parents=True, exist_ok=True)
    spec = WORK / f"parity-{name}.json"
    out = WORK / f"parity-{name}.safetensors"
    out.unlink(missing_ok=True)
    spec.write_text(json.dumps({"model": str(directory), "adapter": str(adapter) if adapter else None, "cases": cases}))
    java_side("logits", spec, out)
    ours = load_file(out)
    model = model if model is not None else transformers_model(directory, adapter)
    worst, scale, compared, parts = 0.0, 0.0, 0, []
    for case in cases:
        theirs, mask = reference_logits(model, case)
        mine = ours[case["name"]]
        if tuple(mine.shape) != tuple(theirs.shape):
            raise AssertionError(f"{name}/{case['name']}: peft4j logits {tuple(mine.shape)}, transformers {tuple(theirs.shape)}")
        keep = mask.bool()
        difference = (mine.double() - theirs.double()).abs()[keep].max().item()
        parts.append(f"{case['name']} {tuple(theirs.shape)} {difference:.1e}")
        worst = max(worst, difference)
        scale = max(scale, theirs[keep].abs().max().item())
        compared += int(keep.sum()) * theirs.shape[-1]
    detail = f"max |Δ| {worst:.2e} over {compared} logits (max |logit| {scale:.2f}; {', '.join(parts)})"
    if worst > LOGITS_TOLERANCE:
        raise AssertionError(f"{name}: {detail} > {LOGITS_TOLERANCE:g}")
    return detail


def stories_cases(tokenizer):
    prompt = tokenizer("Once upon a time", add_special_tokens=True)["input_ids"]
    paragraph = tokenizer(PARAGRAPH, add_special_tokens=True)["input_ids"]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    padded_ids, padded_mask = left_padded([paragraph[:40], prompt, paragraph[10:25]], pad)
    return [
        {"name": "prompt", "input_ids": [prompt], "attention_mask": None},
        {"name": "paragraph", "input_ids": [paragraph], "attention_mask": None},
        {"name": "left_padded", "input_ids": padded_ids, "attention_mask": padded_mask},
    ]


@check
def stories260k_logits_match_transformers():
    from transformers import AutoTokenizer
    return logits_parity("stories260k", STORIES, stories_cases(AutoTokenizer.from_pretrained(STORIES)))


@check
def tiny_models_logits_match_transformers():
    lines = []
    for index, name in enumerate(TINY):
        directory = REFERENCE / name
        config = json.loads((directory / "config.json").read_text())
        limit = config.get("n_positions", config.get("max_position_embeddings", 64))
        pad = config.get("pad_token_id") or 0
        cases = random_cases(config["vocab_size"], pad, 100 + index, limit)
        lines.append(f"{name}: " + logits_parity(name, directory, cases))
    return "; ".join(lines)


@check
def peft_lora_on_stories260k_gives_peft_logits():
    from transformers import AutoTokenizer
    adapter = REFERENCE / "stories260k-lora"
    cases = stories_cases(AutoTokenizer.from_pretrained(STORIES))
    model = transformers_model(STORIES, adapter)
    moved = adapter_effect(model, cases[1]["input_ids"])
    return f"adapter moves the logits by up to {moved:.3f}; " + logits_parity("stories260k-lora", STORIES, cases, adapter, model)


def adapter_effect(model, input_ids):
    """How far a PeftModel's adapter moves its logits (max |Δ|); the adapter must matter, so at least 1e-2."""
    with torch.no_grad(), model.disable_adapter():
        base = model(torch.tensor(input_ids)).logits
    with torch.no_grad():
        adapted = model(torch.tensor(input_ids)).logits
    moved = (adapted - base).abs().max().item()
    if moved < 1e-2:
        raise AssertionError(f"the adapter moves PEFT's logits by only {moved:.1e}")
    return moved


def transformers_loss(adapter=None):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(STORIES)
    ids = tokenizer(PARAGRAPH, return_tensors="pt", add_special_tokens=True)["input_ids"]
    model = transformers_model(STORIES, adapter)
    with torch.no_grad():
        return model(input_ids=ids, labels=ids).loss.item(), ids.shape[1] - 1


def perplexity_parity(adapter=None):
    args = ["perplexity", "--model", STORIES, "--text", PARAGRAPH, "--json"]
    if adapter is not None:
        args += ["--adapter", adapter]
    output = peft4j_cli(*args)
    ours = json.loads([line for line in output.splitlines() if line.strip().startswith("{")][-1])
    loss, tokens = transformers_loss(adapter)
    difference = abs(ours["meanNll"] - loss)
    detail = (f"peft4j meanNll {ours['meanNll']:.6f} over {ours['tokens']} tokens (perplexity {ours['perplexity']:.4f}), "
              f"transformers loss {loss:.6f} over {tokens} tokens, |Δ| {difference:.1e}")
    if ours["tokens"] != tokens:
        raise AssertionError(f"token counts differ: {detail}")
    if difference > NLL_TOLERANCE or abs(ours["perplexity"] - torch.tensor(loss).exp().item()) > 1e-3 * ours["perplexity"]:
        raise AssertionError(detail)
    return detail


@check
def perplexity_command_matches_transformers_loss():
    return perplexity_parity()


@check
def perplexity_command_with_lora_matches_peft_loss():
    return perplexity_parity(REFERENCE / "stories260k-lora")


# ---------------------------------------------------------------------------------------------
# peft4j finetune on stories260k: the adapter in PEFT, the merged model in transformers

FINETUNED = {}


def finetuned(method, target):
    """Trains an adapter with `peft4j finetune` on stories260k once per (method, target); returns its directory."""
    key = (method, target)
    if key not in FINETUNED:
        out = WORK / f"finetune-{method}-{target.replace(',', '-')}"
        shutil.rmtree(out, ignore_errors=True)
        peft4j_cli("finetune", "--model", STORIES, "--data", ROOT / "examples" / "finetune" / "stories.jsonl",
                   "--eval-data", ROOT / "examples" / "finetune" / "stories-eval.jsonl", "--out", out,
                   "--method", method, "--rank", 8, "--alpha", 16, "--target", target, "--lr", "3e-3",
                   "--batch", 8, "--steps", 20, "--seed", 7)
        report = json.loads((out / "report.json").read_text())
        FINETUNED[key] = (out / "adapter", report)
    return FINETUNED[key]


def peft_loads_cleanly(adapter, expected_warning=None):
    """PeftModel.from_pretrained on stories260k with no warning (but one containing expected_warning), and
    load_adapter with no missing or unexpected key; returns the PeftModel and the number of adapter tensors."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = transformers_model(STORIES, adapter)
    relevant = [str(w.message) for w in caught if "adapter" in str(w.message).lower() or "key" in str(w.message).lower()]
    relevant = [message for message in relevant if expected_warning is None or expected_warning not in message]
    if relevant:
        raise AssertionError(f"PeftModel.from_pretrained warned: {relevant}")
    result = model.load_adapter(str(adapter), adapter_name="again")
    if result.missing_keys or result.unexpected_keys:
        raise AssertionError(f"load_adapter: missing {result.missing_keys}, unexpected {result.unexpected_keys}")
    model.set_adapter("default")
    tensors = len(load_file(adapter / "adapter_model.safetensors"))
    return model.eval(), tensors


def finetuned_adapter_in_peft(method, target, expected_warning=None):
    from transformers import AutoTokenizer
    adapter, report = finetuned(method, target)
    first, last = report["trainLoss"][0][1], report["trainLoss"][-1][1]
    if not last < first:
        raise AssertionError(f"training loss did not fall: {first:.4f} -> {last:.4f}")
    model, tensors = peft_loads_cleanly(adapter, expected_warning)
    cases = stories_cases(AutoTokenizer.from_pretrained(STORIES))
    moved = adapter_effect(model, cases[1]["input_ids"])
    return (f"20 steps, train loss {first:.3f} -> {last:.3f}; {tensors} tensors load with no missing or unexpected key; "
            f"adapter moves the logits by up to {moved:.3f}; "
            + logits_parity(f"finetune-{method}", STORIES, cases, adapter, model))


@check
def finetuned_lora_loads_in_peft_with_equal_logits():
    return finetuned_adapter_in_peft("lora", "all-linear")


@check
def finetuned_dora_loads_in_peft_with_equal_logits():
    return finetuned_adapter_in_peft("dora", "q_proj,v_proj")


@check
def merged_finetuned_model_loads_in_transformers_with_equal_logits():
    from transformers import AutoModelForCausalLM, AutoTokenizer
    adapter, _ = finetuned("lora", "all-linear")
    merged = WORK / "finetune-lora-merged"
    shutil.rmtree(merged, ignore_errors=True)
    peft4j_cli("merge", "--base", STORIES, "--adapter", adapter, "--out", merged)
    model, info = AutoModelForCausalLM.from_pretrained(merged, attn_implementation="eager", dtype=torch.float32,
                                                       output_loading_info=True)
    problems = {key: value for key, value in info.items() if value}
    if problems:
        raise AssertionError(f"transformers loading the merged model: {problems}")
    model.eval()
    peft_model, _ = peft_loads_cleanly(adapter)
    cases = stories_cases(AutoTokenizer.from_pretrained(STORIES))
    worst = 0.0
    for case in cases:
        theirs, mask = reference_logits(peft_model, case)
        mine, _ = reference_logits(model, case)
        worst = max(worst, (mine.double() - theirs.double()).abs()[mask.bool()].max().item())
    if worst > LOGITS_TOLERANCE:
        raise AssertionError(f"merged model's logits differ from PEFT's adapter-on-model logits by {worst:.2e}")
    files = sorted(path.name for path in merged.iterdir())
    return (f"merged directory {files} loads with no missing, unexpected or mismatched key; its logits equal PEFT's "
            f"adapter-on-model logits within {worst:.1e}")


@check
def finetuned_embedding_lora_loads_in_peft_with_equal_logits():
    # stories260k ties lm_head to embed_tokens: PEFT warns about adapting a tied module, which is its general
    # caution for this case (peft4j follows PEFT: the unmerged adapter changes only the input lookup)
    return finetuned_adapter_in_peft("lora", "embed_tokens,q_proj", expected_warning="tied_target_modules")


def peft_embedding_lora():
    """A PEFT LoRA on stories260k's embed_tokens and q_proj, A and B random (PEFT starts A at zero), saved once."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    directory = WORK / "peft-embedding-lora"
    if not (directory / "adapter_model.safetensors").exists():
        shutil.rmtree(directory, ignore_errors=True)
        torch.manual_seed(3)
        base = AutoModelForCausalLM.from_pretrained(STORIES, attn_implementation="eager", dtype=torch.float32)
        model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["embed_tokens", "q_proj"]))
        embedding_a = model.base_model.model.model.embed_tokens.lora_embedding_A["default"]
        if embedding_a.abs().max().item() != 0:
            raise AssertionError("PEFT no longer starts lora_embedding_A at zero")
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if "lora_" in name:
                    parameter.normal_(0, 0.1)
        model.save_pretrained(directory, save_embedding_layers=False)
    return directory


@check
def peft_embedding_lora_gives_peft_logits_in_peft4j():
    from transformers import AutoTokenizer
    adapter = peft_embedding_lora()
    tensors = sorted(name for name in load_file(adapter / "adapter_model.safetensors") if "embed_tokens" in name)
    cases = stories_cases(AutoTokenizer.from_pretrained(STORIES))
    model = transformers_model(STORIES, adapter)
    moved = adapter_effect(model, cases[1]["input_ids"])
    return (f"PEFT's {tensors}; adapter moves the logits by up to {moved:.3f}; "
            + logits_parity("peft-embedding-lora", STORIES, cases, adapter, model))


@check
def peft4j_merge_of_an_embedding_lora_equals_peft_merge_and_unload():
    from transformers import AutoModelForCausalLM, AutoTokenizer
    adapter = peft_embedding_lora()
    merged = WORK / "peft-embedding-lora-merged"
    shutil.rmtree(merged, ignore_errors=True)
    peft4j_cli("merge", "--base", STORIES, "--adapter", adapter, "--out", merged)
    ours = AutoModelForCausalLM.from_pretrained(merged, attn_implementation="eager", dtype=torch.float32).eval()
    theirs = transformers_model(STORIES, adapter).merge_and_unload().eval()
    worst = 0.0
    for case in stories_cases(AutoTokenizer.from_pretrained(STORIES)):
        expected, mask = reference_logits(theirs, case)
        actual, _ = reference_logits(ours, case)
        worst = max(worst, (actual.double() - expected.double()).abs()[mask.bool()].max().item())
    table = (ours.model.embed_tokens.weight.double() - theirs.model.embed_tokens.weight.double()).abs().max().item()
    if worst > LOGITS_TOLERANCE or table > 1e-6:
        raise AssertionError(f"peft4j merge vs PEFT merge_and_unload: logits {worst:.2e}, embed_tokens {table:.2e}")
    return (f"embed_tokens E + s(BA)^T equal within {table:.1e}; merged logits (tied lm_head included) "
            f"equal within {worst:.1e}")


# ---------------------------------------------------------------------------------------------
# Peer speed and memory: SmolLM2-135M's shape, random float32 weights

# 20 warm-up forwards: the JVM compiles the forward's Java path during the first 10-20 (its compiler threads
# share the two cores with libtorch's; with 12 warm-ups one run's timed forwards still fell from 1,070 to 970 ms),
# and the eval forward is the steady state's time; the warm-ups' own times are reported beside it
BATCH, EVAL_TOKENS, WARMUP, RUNS = 4, 128, 20, 7
PROMPT_TOKENS, NEW_TOKENS, GENERATION_RUNS = 16, 64, 5
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def smollm2_random():
    """SmolLM2-135M's config with torch.manual_seed(0) random float32 weights, saved once (538 MB)."""
    weights = SMOLLM_RANDOM / "model.safetensors"
    if not weights.exists():
        from transformers import LlamaConfig, LlamaForCausalLM
        shutil.rmtree(SMOLLM_RANDOM, ignore_errors=True)
        torch.manual_seed(0)
        config = LlamaConfig.from_pretrained(SMOLLM_CONFIG)
        model = LlamaForCausalLM(config).float()
        model.save_pretrained(SMOLLM_RANDOM, safe_serialization=True)
        del model
        gc.collect()
    for name in TOKENIZER_FILES:
        if (SMOLLM_CONFIG / name).exists() and not (SMOLLM_RANDOM / name).exists():
            shutil.copy(SMOLLM_CONFIG / name, SMOLLM_RANDOM / name)
    return SMOLLM_RANDOM


def peer_spec(directory):
    config = json.loads((directory / "config.json").read_text())
    generator = torch.Generator().manual_seed(42)
    vocab = config["vocab_size"]
    eos = config.get("eos_token_id")
    eos = set(eos if isinstance(eos, list) else [eos])
    prompt = [i for i in torch.randint(3, vocab, (PROMPT_TOKENS,), generator=generator).tolist()]
    return {"model": str(directory), "eval_ids": torch.randint(0, vocab, (BATCH, EVAL_TOKENS), generator=generator).tolist(),
            "warmup": WARMUP, "runs": RUNS, "prompt": prompt, "new_tokens": NEW_TOKENS,
            "generation_runs": GENERATION_RUNS, "eos": sorted(e for e in eos if e is not None)}


def status(field):
    """A field of /proc/self/status (kB, that is KiB) in MB (10⁶ bytes)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    raise KeyError(field)


def peer_transformers(spec_file, out):
    """The Python half of the peer measurement, in a process of its own (see thread_env)."""
    from transformers import LlamaForCausalLM
    torch.set_num_threads(THREADS)
    spec = json.loads(Path(spec_file).read_text())
    result = {"threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads()}
    torch.ones(64, 64) @ torch.ones(64, 64)
    gc.collect()
    result["rss_before_load_mb"] = status("VmRSS")
    start = time.perf_counter()
    model = LlamaForCausalLM.from_pretrained(spec["model"], dtype=torch.float32).eval()
    result["load_ms"] = (time.perf_counter() - start) * 1e3
    result["attn_implementation"] = model.config._attn_implementation
    gc.collect()
    result["rss_after_load_mb"] = status("VmRSS")
    result["rss_anon_after_load_mb"] = status("RssAnon")
    result["rss_file_after_load_mb"] = status("RssFile")
    with torch.inference_mode():  # every weight touched once (transformers maps the file lazily), activations tiny
        model(torch.tensor([[1]]))
    gc.collect()
    result["rss_after_one_token_mb"] = status("VmRSS")
    ids = torch.tensor(spec["eval_ids"])
    times, warmup_times = [], []
    with torch.inference_mode():
        for i in range(spec["warmup"] + spec["runs"]):
            start = time.perf_counter()
            logits = model(ids).logits
            elapsed = (time.perf_counter() - start) * 1e3
            (times if i >= spec["warmup"] else warmup_times).append(elapsed)
        last = logits[:, -1, :].clone()
        del logits
    from safetensors.torch import save_file
    save_file({"last_logits": last}, str(out) + ".safetensors")
    result["eval_ms"] = times
    result["eval_median_ms"] = statistics.median(times)
    result["eval_warmup_ms"] = warmup_times
    result["rss_after_eval_mb"] = status("VmRSS")
    prompt = torch.tensor([spec["prompt"]])
    attention = torch.ones_like(prompt)
    pad = model.generation_config.pad_token_id
    pad = pad if pad is not None else spec["eos"][0]
    generation_times, rates, new = [], [], []
    with torch.inference_mode():
        model.generate(prompt, attention_mask=attention, do_sample=False, max_new_tokens=8, pad_token_id=pad)  # warm-up
        for _ in range(spec["generation_runs"]):
            start = time.perf_counter()
            output = model.generate(prompt, attention_mask=attention, do_sample=False, max_new_tokens=spec["new_tokens"],
                                    min_new_tokens=spec["new_tokens"], pad_token_id=pad)
            elapsed = (time.perf_counter() - start) * 1e3
            new = output[0, prompt.shape[1]:].tolist()
            generation_times.append(elapsed)
            rates.append(len(new) / (elapsed / 1e3))
    result["generation_ms"] = generation_times
    result["generation_median_ms"] = statistics.median(generation_times)
    result["generated_tokens"] = len(new)
    result["generation_tokens_per_s"] = statistics.median(rates)
    result["generated_ids"] = new
    result["rss_peak_mb"] = status("VmHWM")
    Path(out).write_text(json.dumps(result, indent=2))


_PEER = {}


def cpu_jiffies():
    """(all, idle) CPU time of the machine so far, in clock ticks (/proc/stat)."""
    values = list(map(int, Path("/proc/stat").read_text().splitlines()[0].split()[1:9]))
    return sum(values), values[3] + values[4]


def wait_until_quiet(limit_s=300, window_s=3.0, busy=0.1):
    """Waits (up to limit_s) for a window in which other processes use under `busy` of the CPUs, so that a
    build or test run elsewhere on the machine does not land in one side's timings; returns the last load."""
    deadline = time.monotonic() + limit_s
    while True:
        total0, idle0 = cpu_jiffies()
        time.sleep(window_s)
        total1, idle1 = cpu_jiffies()
        load = 1 - (idle1 - idle0) / max(1, total1 - total0)
        if load < busy or time.monotonic() > deadline:
            return load


def measured(run):
    """Runs run() (which waits for a child process) and returns the share of the machine's CPUs that
    processes other than that child used meanwhile: 0 on a quiet machine."""
    import resource
    ticks = os.sysconf("SC_CLK_TCK")
    wait_until_quiet()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    total0, idle0 = cpu_jiffies()
    run()
    total1, idle1 = cpu_jiffies()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    busy = ((total1 - total0) - (idle1 - idle0)) / ticks
    return max(0.0, (busy - child) * ticks / max(1, total1 - total0))


def alternated(run_java, run_python, rounds=2):
    """Both sides `rounds` times each, every run a fresh process, the order alternating (peft4j first, then the
    peer first, ...) so that a change in the machine's load lands on both; returns each side's results in run
    order and the largest share of the CPUs other processes used during any run of each side."""
    results = {"peft4j": [], "peer": []}
    loads = {"peft4j": 0.0, "peer": 0.0}
    sides = [("peft4j", run_java), ("peer", run_python)]
    for round_ in range(rounds):
        for name, run in (sides if round_ % 2 == 0 else sides[::-1]):
            holder = {}
            loads[name] = max(loads[name], measured(lambda: holder.update(result=run())))
            results[name].append(holder["result"])
    return results, loads


def fresh_run(command, out, logits=False):
    """A run for alternated: command(out) in a fresh process, then its JSON result (with the last-position
    logits it saved beside it when `logits`)."""
    def run():
        for stale in (out, Path(f"{out}.safetensors")):
            stale.unlink(missing_ok=True)
        command(out)
        result = json.loads(out.read_text())
        return result | {"last_logits": load_file(f"{out}.safetensors")["last_logits"]} if logits else result
    return run


def pooled(runs, timings, figures):
    """One side's runs as one result: the first run's fields, each timing list in `timings` joined over all
    runs (its median under the `_median_ms` key), and each number in `figures` the median over the runs."""
    merged = dict(runs[0])
    for key in timings:
        merged[key] = [value for run in runs for value in run[key]]
        merged[key.replace("_ms", "_median_ms")] = statistics.median(merged[key])
    for key in figures:
        merged[key] = statistics.median(run[key] for run in runs)
    return merged


def peer_measurements(rounds=2):
    """Both sides in alternating fresh processes, with the same thread count (see alternated); a time is the
    median of all runs' timings of a side, a memory figure the median of its runs' figures."""
    if not _PEER:
        directory = smollm2_random()
        spec = WORK / "peer-smollm2-spec.json"
        spec.write_text(json.dumps(peer_spec(directory)))
        java_out, python_out = WORK / "peer-smollm2-peft4j.json", WORK / "peer-smollm2-transformers.json"
        runs, loads = alternated(
            fresh_run(lambda out: java_side("peer", spec, out, timeout=1800), java_out, logits=True),
            fresh_run(lambda out: python_side("peer-transformers", spec, out), python_out, logits=True), rounds)
        for name, key in (("peft4j", "peft4j"), ("peer", "transformers")):
            figures = ["generation_tokens_per_s"] + [field for field in runs[name][0] if field.startswith("rss_")]
            _PEER[key] = pooled(runs[name], ("eval_ms", "eval_warmup_ms", "generation_ms"), figures)
        ours, theirs = _PEER["peft4j"].pop("last_logits"), _PEER["transformers"].pop("last_logits")
        _PEER["runs"] = rounds
        _PEER["other_cpu_load"] = {"peft4j": loads["peft4j"], "transformers": loads["peer"]}
        _PEER["last_logits_max_diff"] = (ours.double() - theirs.double()).abs().max().item()
        _PEER["last_logits_scale"] = theirs.abs().max().item()
        _PEER["weights_mb"] = (directory / "model.safetensors").stat().st_size / 1e6
        (WORK / "peer-smollm2.json").write_text(json.dumps(_PEER, indent=2))
    return _PEER


def informational(ratio, detail):
    """PASS when peft4j is no slower (or larger) than the peer; FAIL otherwise, with the numbers (and how
    busy the machine was otherwise while each side ran: timings under load are noise)."""
    load = _PEER.get("other_cpu_load", {})
    if load:
        detail += (f" [other CPU load during the runs: peft4j {load['peft4j']:.0%}, transformers "
                   f"{load['transformers']:.0%}{'; NOISY' if max(load.values()) > 0.1 else ''}]")
    if ratio > 1.0:
        raise AssertionError(detail)
    return detail


@check
def smollm2_mixed_adapter_batch_cost():
    """Issue 18: a batch of 8 rows over 4 LoRA adapters costs at most 1.3x the same batch on one adapter."""
    out = WORK / "mixed-batch.json"
    java_side("mixed-batch", smollm2_random(), out)
    result = json.loads(out.read_text())
    ratio = result["four_adapters_ms"] / result["one_adapter_ms"]
    detail = (f"8 x 128 tokens, LoRA r=8 on q_proj,v_proj: one adapter {result['one_adapter_ms']:.0f} ms, "
              f"rows over four adapters {result['four_adapters_ms']:.0f} ms (medians of 5), ratio {ratio:.2f}")
    if ratio > 1.3:
        raise AssertionError(detail + " > 1.3")
    return detail


@check
def smollm2_eval_forward_speed():
    peer = peer_measurements()
    ours, theirs = peer["peft4j"], peer["transformers"]
    ratio = ours["eval_median_ms"] / theirs["eval_median_ms"]
    return informational(ratio, (
        f"batch {BATCH} x {EVAL_TOKENS} tokens, fp32, {ours['threads']}/{theirs['threads']} threads: "
        f"peft4j {ours['eval_median_ms']:.0f} ms, transformers ({theirs['attn_implementation']}) "
        f"{theirs['eval_median_ms']:.0f} ms (medians of {len(ours['eval_ms'])}: {RUNS} after {WARMUP} warm-ups in each of {peer['runs']} alternating runs a side; fastest {min(ours['eval_ms']):.0f} "
        f"and {min(theirs['eval_ms']):.0f} ms), ratio {ratio:.2f}; warm-up forwards (JIT compiling on the JVM side) "
        f"{ours['eval_warmup_median_ms']:.0f} and {theirs['eval_warmup_median_ms']:.0f} ms, ratio "
        f"{ours['eval_warmup_median_ms'] / theirs['eval_warmup_median_ms']:.2f}; "
        f"last-position logits max |Δ| {peer['last_logits_max_diff']:.1e} (max |logit| {peer['last_logits_scale']:.2f})"))


@check
def smollm2_generation_speed():
    peer = peer_measurements()
    ours, theirs = peer["peft4j"], peer["transformers"]
    ratio = ours["generation_median_ms"] / theirs["generation_median_ms"]
    n = min(len(ours["generated_ids"]), len(theirs["generated_ids"]))
    same = next((i for i in range(n) if ours["generated_ids"][i] != theirs["generated_ids"][i]), n)
    return informational(ratio, (
        f"batch 1, {PROMPT_TOKENS}-token prompt, greedy with KV cache: peft4j {ours['generated_tokens']} tokens in "
        f"{ours['generation_median_ms']:.0f} ms ({ours['generation_tokens_per_s']:.1f} tokens/s), transformers "
        f"{theirs['generated_tokens']} tokens in {theirs['generation_median_ms']:.0f} ms "
        f"({theirs['generation_tokens_per_s']:.1f} tokens/s) (medians of {len(ours['generation_ms'])}: {GENERATION_RUNS} in each of {peer['runs']} alternating runs a side; fastest "
        f"{min(ours['generation_ms']):.0f} and {min(theirs['generation_ms']):.0f} ms), time ratio {ratio:.2f}; "
        f"first {same} tokens identical"))


@check
def smollm2_memory():
    peer = peer_measurements()
    ours, theirs = peer["peft4j"], peer["transformers"]
    weights = peer["weights_mb"]
    after_load = ours["rss_after_load_mb"] / theirs["rss_after_load_mb"]
    resident = ours["rss_after_one_token_mb"] / theirs["rss_after_one_token_mb"]

    def side(name, values):
        grown = values["rss_after_load_mb"] - values["rss_before_load_mb"]
        touched = values["rss_after_one_token_mb"] - values["rss_before_load_mb"]
        return (f"{name} RSS {values['rss_before_load_mb']:.0f} MB before load, {values['rss_after_load_mb']:.0f} after "
                f"(+{grown:.0f} = {grown / weights:.2f}x the weights; anon {values['rss_anon_after_load_mb']:.0f}, "
                f"file {values['rss_file_after_load_mb']:.0f}), {values['rss_after_one_token_mb']:.0f} after a 1-token forward "
                f"(+{touched:.0f} = {touched / weights:.2f}x), {values['rss_after_eval_mb']:.0f} after the batch-4 evals, "
                f"peak {values['rss_peak_mb']:.0f}")

    return informational(resident, (
        f"weights file {weights:.0f} MB; {side('peft4j', ours)}; {side('transformers', theirs)}; RSS ratio "
        f"peft4j/transformers {after_load:.2f} after load, {resident:.2f} after a 1-token forward (weights resident)"))


# One LoRA training step on the same shape: peft4j's OptimizerStep against transformers + PEFT + torch AdamW

# 15 warm-up steps, past the JVM's JIT compilation (it still compiled for 17-240 ms in each of the first ten steps,
# and with 5 warm-ups the timed steps spread by 40%), as for the eval forward; the warm-ups' own times are reported
# beside the steady state's
TRAIN_WARMUP, TRAIN_RUNS, TRAIN_LR = 15, 7, 1e-4
TRAIN_TARGETS = {"q_proj,v_proj": ["q_proj", "v_proj"], "all-linear": ["all-linear"]}
_TRAIN_PEER = {}


def train_spec(directory, targets):
    config = json.loads((directory / "config.json").read_text())
    generator = torch.Generator().manual_seed(43)
    return {"model": str(directory), "targets": targets, "rank": 8, "alpha": 16, "lr": TRAIN_LR,
            "ids": torch.randint(0, config["vocab_size"], (BATCH, EVAL_TOKENS), generator=generator).tolist(),
            "warmup": TRAIN_WARMUP, "runs": TRAIN_RUNS}


def peer_peft_train(spec_file, out):
    """The Python half of the training-step peer measurement, in a process of its own."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM
    torch.set_num_threads(THREADS)
    spec = json.loads(Path(spec_file).read_text())
    result = {"threads": torch.get_num_threads()}
    torch.ones(64, 64) @ torch.ones(64, 64)
    gc.collect()
    result["rss_before_load_mb"] = status("VmRSS")
    model = LlamaForCausalLM.from_pretrained(spec["model"], dtype=torch.float32)
    gc.collect()
    result["rss_after_load_mb"] = status("VmRSS")
    targets = spec["targets"][0] if spec["targets"] == ["all-linear"] else spec["targets"]
    model = get_peft_model(model, LoraConfig(r=spec["rank"], lora_alpha=spec["alpha"], lora_dropout=0.0,
                                             target_modules=targets, task_type="CAUSAL_LM"))
    model.train()
    parameters = [p for p in model.parameters() if p.requires_grad]
    result["trainable_params"] = sum(p.numel() for p in parameters)
    optimizer = torch.optim.AdamW(parameters, lr=spec["lr"], weight_decay=0.0)
    ids = torch.tensor(spec["ids"])
    times, warmup_times, losses = [], [], []
    for i in range(spec["warmup"] + spec["runs"]):
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        elapsed = (time.perf_counter() - start) * 1e3
        (times if i >= spec["warmup"] else warmup_times).append(elapsed)
    result.update(step_ms=times, step_median_ms=statistics.median(times), warmup_step_ms=warmup_times, losses=losses,
                  rss_peak_mb=status("VmHWM"))
    Path(out).write_text(json.dumps(result, indent=2))


def train_peer_measurements(target, rounds=2):
    """Both sides for one target set in alternating fresh processes (see alternated): the step time is the
    median of all runs' steps of a side, the peak RSS the median of its runs' peaks."""
    if target not in _TRAIN_PEER:
        spec = WORK / f"train-peer-{target.replace(',', '-')}-spec.json"
        spec.write_text(json.dumps(train_spec(smollm2_random(), TRAIN_TARGETS[target])))
        java_out = WORK / f"train-peer-{target.replace(',', '-')}-peft4j.json"
        python_out = WORK / f"train-peer-{target.replace(',', '-')}-peft.json"
        runs, loads = alternated(fresh_run(lambda out: java_side("train-peer", spec, out, timeout=1800), java_out),
                                 fresh_run(lambda out: python_side("peer-peft-train", spec, out), python_out), rounds)
        result = {"runs": rounds, "other_cpu_load": {"peft4j": loads["peft4j"], "transformers": loads["peer"]},
                  "peft4j": pooled(runs["peft4j"], ("step_ms", "warmup_step_ms"), ("rss_peak_mb",)),
                  "peft": pooled(runs["peer"], ("step_ms", "warmup_step_ms"), ("rss_peak_mb",))}
        _TRAIN_PEER[target] = result
        (WORK / f"train-peer-{target.replace(',', '-')}.json").write_text(json.dumps(result, indent=2))
    return _TRAIN_PEER[target]


def training_step_peer(target):
    peer = train_peer_measurements(target)
    ours, theirs = peer["peft4j"], peer["peft"]
    if ours["trainable_params"] != theirs["trainable_params"]:
        raise AssertionError(f"trainable parameters differ: peft4j {ours['trainable_params']}, PEFT {theirs['trainable_params']}")
    first = abs(ours["losses"][0] - theirs["losses"][0])
    if first > 1e-4:
        raise AssertionError(f"first-step losses differ by {first:.1e}: {ours['losses'][0]:.6f} vs {theirs['losses'][0]:.6f}")
    ratio = ours["step_median_ms"] / theirs["step_median_ms"]
    rss = ours["rss_peak_mb"] / theirs["rss_peak_mb"]
    detail = (f"LoRA r=8 on {target} ({ours['trainable_params']} trainable), batch {BATCH} x {EVAL_TOKENS}, AdamW, clip 1: "
              f"peft4j {ours['step_median_ms']:.0f} ms, PEFT {theirs['step_median_ms']:.0f} ms per step (medians of "
              f"{len(ours['step_ms'])} steps, {TRAIN_RUNS} after {TRAIN_WARMUP} warm-ups in each of {peer['runs']} alternating runs a side), time ratio {ratio:.2f}; warm-up steps (JIT compiling on the JVM side) "
              f"{ours['warmup_step_median_ms']:.0f} and {theirs['warmup_step_median_ms']:.0f} ms; peak RSS {ours['rss_peak_mb']:.0f} vs "
              f"{theirs['rss_peak_mb']:.0f} MB, ratio {rss:.2f}; first-step loss {ours['losses'][0]:.5f} vs "
              f"{theirs['losses'][0]:.5f}, after {len(ours['losses'])} steps {ours['losses'][-1]:.5f} vs {theirs['losses'][-1]:.5f}")
    load = peer["other_cpu_load"]
    detail += (f" [other CPU load during the runs: peft4j {load['peft4j']:.0%}, PEFT {load['transformers']:.0%}"
               f"{'; NOISY' if max(load.values()) > 0.1 else ''}]")
    if max(ratio, rss) > 1.0:
        raise AssertionError(detail)
    return detail


@check
def smollm2_lora_training_step_q_v():
    return training_step_peer("q_proj,v_proj")


@check
def smollm2_lora_training_step_all_linear():
    return training_step_peer("all-linear")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "peer-transformers":
        peer_transformers(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "peer-peft-train":
        peer_peft_train(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: real_models.py peer-transformers|peer-peft-train SPEC.json OUT.json")
