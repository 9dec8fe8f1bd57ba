"""Reference outputs of Hugging Face transformers (and PEFT) for peft-models' Java tests, which run in
CI without Python: tiny random Llama (GQA, llama3 RoPE scaling), Qwen2 (q/k/v biases), GPT-2 and
Mistral (linear RoPE scaling, tied embeddings) saved with save_pretrained, each with the logits of a
left-padded batch and of one unpadded row; the real pretrained stories260k (logits, greedy
continuation, mean NLL of a paragraph, tokenization); and a PEFT LoRA adapter trained on it with the
logits it gives. Everything is float32, eager attention, fixed seeds, so reruns write the same files.

write_all(out) writes everything under `out` and returns one line per thing written; checks.py
calls it (check `model_references_for_java_tests`) into peft-models/src/test/resources/reference."""

import json
import math
import os
import shutil
from pathlib import Path

import torch

import peft
import transformers
from peft import LoraConfig, get_peft_model
from transformers import (AutoTokenizer, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM,
                          MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM)
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "peft-models" / "src" / "test" / "resources" / "reference"
STORIES = Path(os.environ.get("STORIES260K", ROOT.parent / "shared" / "models" / "stories260k"))

VOCAB = 96
PAD = 0
PROMPT = "Once upon a time"
ENCODE_CHECK = "Once upon a time 12345 café"
PARAGRAPH = ("One day, a little boy named Tom went to the park with his mom. He saw a big red ball under a "
             "tree. Tom ran to the ball and kicked it very high. The ball flew over the fence, and a friendly "
             "dog brought it back. Tom was so happy. He said, \"Thank you, dog!\" They played together all "
             "day and became best friends.")
LORA_SENTENCES = ["The cat sat on the mat and looked at the moon.",
                  "Ben had a blue kite. He flew it in the wind every day."]


def rounded(tensor):
    """A flat, row-major list of at most 7 significant digits per value."""
    return [float(f"{v:.7g}") for v in tensor.detach().double().flatten().tolist()]


def write_json(path, data):
    """One top-level key a line, lists compact: small files that still diff readably."""
    lines = [f"  {json.dumps(key)}: {json.dumps(value, separators=(',', ':'), ensure_ascii=False)}"
             for key, value in data.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


def provenance():
    return f"transformers {transformers.__version__}, peft {peft.__version__}, torch {torch.__version__}, float32, eager attention"


def size_of(path):
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


# ---------------------------------------------------------------------------------------------
# Tiny random models

def tiny_configs():
    common = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, intermediate_size=48, initializer_range=0.2, rms_norm_eps=1e-6,
                  attn_implementation="eager")
    return {
        "tiny-llama-gqa": (LlamaForCausalLM, LlamaConfig(
            **common, rope_theta=10000.0, tie_word_embeddings=False, max_position_embeddings=128,
            rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 16})),
        "tiny-qwen2": (Qwen2ForCausalLM, Qwen2Config(
            **common, rope_theta=1000000.0, tie_word_embeddings=False, use_sliding_window=False,
            max_position_embeddings=128)),
        "tiny-gpt2": (GPT2LMHeadModel, GPT2Config(
            vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64, activation_function="gelu_new",
            initializer_range=0.2, attn_implementation="eager")),
        "tiny-mistral-linear-rope": (MistralForCausalLM, MistralConfig(
            **common, rope_theta=10000.0, rope_scaling={"type": "linear", "factor": 2.0}, sliding_window=4096,
            tie_word_embeddings=True, max_position_embeddings=128)),
    }


def perturb(model):
    """Nothing stays at an initial zero or one: norms' weights become 1 + N(0, 0.1), every bias (LayerNorm's
    included, zero at init) N(0, 0.1), every other weight gets N(0, 0.02) added."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn_like(parameter)
            if name.endswith("bias"):
                parameter.copy_(0.1 * noise)
            elif parameter.dim() == 1:  # RMSNorm / LayerNorm weights
                parameter.copy_(1.0 + 0.1 * noise)
            else:
                parameter.add_(0.02 * noise)


def rope_frequencies(config):
    """The inverse frequencies after the config's RoPE scaling, against the unscaled ones."""
    scaling = config.rope_scaling or {}
    rope_type = scaling.get("rope_type", scaling.get("type", "default"))
    scaled, attention_scaling = ROPE_INIT_FUNCTIONS[rope_type](config, "cpu")
    plain, _ = ROPE_INIT_FUNCTIONS["default"](config, "cpu")
    return rope_type, scaled, plain, attention_scaling


def tiny_reference(name, model_class, config, out):
    torch.manual_seed(sum(map(ord, name)))
    model = model_class(config).eval()
    perturb(model)
    directory = out / name
    shutil.rmtree(directory, ignore_errors=True)
    model.save_pretrained(directory, safe_serialization=True)
    model = model_class.from_pretrained(directory, attn_implementation="eager", dtype=torch.float32).eval()

    generator = torch.Generator().manual_seed(7)
    input_ids = torch.randint(1, VOCAB, (2, 7), generator=generator)
    input_ids[1, :2] = PAD
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, :2] = 0
    position_ids = attention_mask.cumsum(-1) - 1
    position_ids.masked_fill_(attention_mask == 0, 1)
    single = torch.randint(1, VOCAB, (1, 9), generator=generator)
    with torch.no_grad():
        logits = model(input_ids, attention_mask=attention_mask, position_ids=position_ids).logits
        single_logits = model(single).logits
        # The unpadded positions of the padded row agree with that row run alone, unpadded.
        alone = model(input_ids[1:, 2:]).logits
    gap = (alone[0] - logits[1, 2:]).abs().max().item()
    if gap > 1e-4:
        raise AssertionError(f"{name}: left padding changes the logits by {gap:.2e}")
    if torch.equal(logits[0], logits[0, :1].expand_as(logits[0])):
        raise AssertionError(f"{name}: degenerate logits")

    data = {
        "model": name,
        "generated_by": provenance(),
        "note": "logits at padded positions (attention_mask 0) are not meaningful: compare only where the mask is 1",
        "input_ids": input_ids.tolist(),
        "attention_mask": attention_mask.tolist(),
        "position_ids": position_ids.tolist(),
        "shape": list(logits.shape),
        "logits": rounded(logits),
        "single": {"input_ids": single.tolist(), "shape": list(single_logits.shape), "logits": rounded(single_logits)},
    }
    surprise = ""
    if name != "tiny-gpt2":
        rope_type, scaled, plain, attention_scaling = rope_frequencies(model.config)
        changed = int((~torch.isclose(scaled, plain, rtol=1e-6, atol=0)).sum())
        data["rope"] = {"rope_type": rope_type, "inv_freq": rounded(scaled), "inv_freq_unscaled": rounded(plain),
                        "attention_scaling": attention_scaling}
        if rope_type != "default":
            if changed == 0:
                raise AssertionError(f"{name}: {rope_type} RoPE scaling changed no frequency")
            model_freq = model.model.rotary_emb.inv_freq
            if not torch.allclose(model_freq, scaled):
                raise AssertionError(f"{name}: the model's inv_freq is not the {rope_type} one")
        surprise = f", RoPE {rope_type} changes {changed}/{len(plain)} frequencies"
    if name == "tiny-qwen2":
        biases = [n for n, p in model.named_parameters() if n.endswith("bias")]
        if not biases or any(bool((model.get_parameter(n) == 0).any()) for n in biases):
            raise AssertionError("tiny-qwen2: biases missing or zero")
        surprise += f", {len(biases)} bias tensors ({', '.join(sorted({n.split('.')[-2] for n in biases}))})"
    write_json(directory / "expected.json", data)
    return f"{name}/ ({size_of(directory) // 1024} KiB{surprise}, padding-vs-alone gap {gap:.1e})"


# ---------------------------------------------------------------------------------------------
# stories260k: the real pretrained model, and a PEFT LoRA adapter trained on it

def stories260k(out):
    tokenizer = AutoTokenizer.from_pretrained(STORIES)
    model = LlamaForCausalLM.from_pretrained(STORIES, attn_implementation="eager", dtype=torch.float32).eval()
    encoded = tokenizer(PROMPT, return_tensors="pt", add_special_tokens=True)
    input_ids = encoded["input_ids"]
    with torch.no_grad():
        logits = model(input_ids).logits
        generated = model.generate(input_ids, attention_mask=encoded["attention_mask"], max_new_tokens=30,
                                   do_sample=False, pad_token_id=tokenizer.eos_token_id)
        new_ids = generated[0, input_ids.shape[1]:].tolist()
        paragraph_ids = tokenizer(PARAGRAPH, return_tensors="pt", add_special_tokens=True)["input_ids"]
        loss = model(paragraph_ids, labels=paragraph_ids).loss.item()
        # The same number by hand: natural log, mean over the len - 1 predicted tokens.
        log_probs = torch.log_softmax(model(paragraph_ids).logits[0, :-1].double(), -1)
        by_hand = -log_probs.gather(-1, paragraph_ids[0, 1:, None]).mean().item()
    if abs(by_hand - loss) > 1e-4:
        raise AssertionError(f"stories260k: the loss {loss} is not the mean NLL {by_hand}")
    greedy_text = tokenizer.decode(new_ids, skip_special_tokens=True)
    encode_ids = tokenizer(ENCODE_CHECK, add_special_tokens=True)["input_ids"]
    data = {
        "model": "stories260k",
        "generated_by": provenance(),
        "prompt": PROMPT,
        "input_ids": input_ids.tolist()[0],
        "shape": list(logits.shape),
        "logits": rounded(logits),
        "greedy_ids": new_ids,
        "greedy_text": greedy_text,
        "paragraph": PARAGRAPH,
        "paragraph_ids": paragraph_ids.tolist()[0],
        "paragraph_mean_nll": float(f"{loss:.7g}"),
        "paragraph_tokens": paragraph_ids.shape[1] - 1,
        "encode_check": {"text": ENCODE_CHECK, "ids": encode_ids},
    }
    path = out / "stories260k.json"
    write_json(path, data)
    return (f"stories260k.json ({size_of(path) // 1024} KiB; mean NLL {loss:.4f} nats over {paragraph_ids.shape[1] - 1} "
            f"tokens; greedy {greedy_text!r}; encode_check {encode_ids})"), tokenizer, paragraph_ids


def stories260k_lora(out, tokenizer, paragraph_ids):
    model = LlamaForCausalLM.from_pretrained(STORIES, attn_implementation="eager", dtype=torch.float32).eval()
    ids = paragraph_ids[:, :20]
    with torch.no_grad():
        base_logits = model(ids).logits
    torch.manual_seed(11)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "o_proj", "down_proj"],
                        lora_dropout=0.0, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config)
    batches = [tokenizer(s, return_tensors="pt", add_special_tokens=True)["input_ids"] for s in LORA_SENTENCES]
    optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-2)
    peft_model.train()
    first = last = None
    for step in range(30):
        batch = batches[step % len(batches)]
        loss = peft_model(input_ids=batch, labels=batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        first = loss.item() if first is None else first
        last = loss.item()
    peft_model.eval()
    smallest_b = min(p.abs().max().item() for n, p in peft_model.named_parameters() if "lora_B" in n)
    if smallest_b < 1e-3:
        raise AssertionError(f"stories260k-lora: a lora_B stayed near zero ({smallest_b:.1e})")
    with torch.no_grad():
        logits = peft_model(ids).logits
        with peft_model.disable_adapter():
            disabled = peft_model(ids).logits
    if not torch.equal(disabled, base_logits):
        raise AssertionError("stories260k-lora: the disabled adapter does not give the base logits")
    directory = out / "stories260k-lora"
    shutil.rmtree(directory, ignore_errors=True)
    peft_model.peft_config["default"].base_model_name_or_path = "stories260k"
    peft_model.save_pretrained(directory, save_embedding_layers=False)
    (directory / "README.md").unlink(missing_ok=True)
    # PEFT keeps target_modules as a set, written in hash order: sort it so that reruns write the same file.
    saved = json.loads((directory / "adapter_config.json").read_text())
    saved["target_modules"] = sorted(saved["target_modules"])
    (directory / "adapter_config.json").write_text(json.dumps(saved, indent=2, sort_keys=True))
    if saved.get("base_model_name_or_path") != "stories260k":
        raise AssertionError(f"stories260k-lora: base_model_name_or_path is {saved.get('base_model_name_or_path')}")
    difference = (logits - base_logits).abs().max().item()
    data = {
        "model": "stories260k + stories260k-lora",
        "generated_by": provenance(),
        "input_ids": ids.tolist()[0],
        "shape": list(logits.shape),
        "logits": rounded(logits),
        "base_logits": rounded(base_logits),
    }
    write_json(directory / "expected.json", data)
    return (f"stories260k-lora/ ({size_of(directory) // 1024} KiB; training loss {first:.3f} -> {last:.3f}, "
            f"smallest max|lora_B| {smallest_b:.3f}, adapter moves logits by up to {difference:.3f})")


def write_all(out=REFERENCE):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [tiny_reference(name, model_class, config, out) for name, (model_class, config) in tiny_configs().items()]
    line, tokenizer, paragraph_ids = stories260k(out)
    lines.append(line)
    lines.append(stories260k_lora(out, tokenizer, paragraph_ids))
    lines.append(f"reference/ total {size_of(out) // 1024} KiB")
    return lines


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    for written in write_all():
        print(written)
