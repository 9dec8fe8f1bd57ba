package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.RowAdapters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Autoregressive generation with a KV cache: the prompts run through the model once (left-padded
 * to one length), then each new token alone, its keys and values added to the cache. A prompt
 * stops at an EOS or stop id, or after {@link GenerationConfig#maxNewTokens()}; the others go on.
 * Adapters on the model (enabled, unmerged or merged) take part like any layer.
 */
public final class Generator {

    private final CausalLm lm;

    /**
     * A generator for a model.
     *
     * @param lm the model
     */
    public Generator(CausalLm lm) {
        this.lm = lm;
    }

    /**
     * Continues each prompt of token ids, each with its own adapter ({@link
     * dev.peft4j.core.PeftModel#useRowAdapters}): the prompts run as one batch, and every prompt's
     * tokens equal those it gets alone with only its adapter.
     *
     * @param prompts the prompts' token ids, each non-empty
     * @param config the decoding settings
     * @param adapters one adapter name per prompt, {@code null} for the base model
     * @return each prompt's new tokens, the stop token included when one ended it
     * @throws IllegalArgumentException when there is no prompt, a prompt is empty or the counts differ
     * @throws dev.peft4j.spi.PeftException naming an unknown adapter
     */
    public List<long[]> generateIds(List<long[]> prompts, GenerationConfig config, List<String> adapters) {
        if (adapters.size() != prompts.size()) {
            throw new IllegalArgumentException(
                    "Give one adapter name (or null) per prompt: " + adapters.size() + " for " + prompts.size());
        }
        try (RowAdapters ignored = lm.peft().useRowAdapters(adapters)) {
            return generateIds(prompts, config);
        }
    }

    /**
     * Continues each prompt of token ids.
     *
     * @param prompts the prompts' token ids, each non-empty
     * @param config the decoding settings
     * @return each prompt's new tokens, the stop token included when one ended it
     * @throws IllegalArgumentException when there is no prompt or a prompt is empty
     */
    public List<long[]> generateIds(List<long[]> prompts, GenerationConfig config) {
        if (prompts.isEmpty() || prompts.stream().anyMatch(prompt -> prompt.length == 0)) {
            throw new IllegalArgumentException(
                    "Every prompt needs at least one token; got " + prompts.size() + " prompts");
        }
        Set<Long> stops = new LinkedHashSet<>(config.stopIds());
        stops.addAll(eosIds());
        long pad = padId(stops);
        int batch = prompts.size();
        int longest = prompts.stream().mapToInt(prompt -> prompt.length).max().orElseThrow();
        long[] ids = new long[batch * longest];
        long[][] maskRows = new long[batch][];
        for (int b = 0; b < batch; b++) {
            long[] prompt = prompts.get(b);
            int padding = longest - prompt.length;
            Arrays.fill(ids, b * longest, b * longest + padding, pad);
            System.arraycopy(prompt, 0, ids, b * longest + padding, prompt.length);
            maskRows[b] = new long[longest];
            Arrays.fill(maskRows[b], padding, longest, 1);
        }
        List<List<Long>> generated = new ArrayList<>();
        boolean[] finished = new boolean[batch];
        for (int b = 0; b < batch; b++) {
            generated.add(new ArrayList<>());
        }
        TokenSampler sampler = new TokenSampler(config);
        try (NDManager manager = lm.newManager();
                KvCache cache = new KvCache(manager, lm.config().layers())) {
            ParameterStore store = new ParameterStore(manager, false);
            long[] step = ids;
            int stepLength = longest;
            for (int produced = 0; produced < config.maxNewTokens(); produced++) {
                float[] logits = lastLogits(store, manager, cache, step, stepLength, maskRows);
                int vocab = logits.length / batch;
                step = new long[batch];
                for (int b = 0; b < batch; b++) {
                    long token =
                            finished[b] ? pad : sampler.next(Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab));
                    step[b] = token;
                    if (!finished[b]) {
                        generated.get(b).add(token);
                        finished[b] = stops.contains(token);
                    }
                    maskRows[b] = Arrays.copyOf(maskRows[b], maskRows[b].length + 1);
                    maskRows[b][maskRows[b].length - 1] = 1;
                }
                stepLength = 1;
                if (allTrue(finished)) {
                    break;
                }
            }
        }
        List<long[]> result = new ArrayList<>(batch);
        generated.forEach(
                tokens -> result.add(tokens.stream().mapToLong(Long::longValue).toArray()));
        return result;
    }

    /** Runs one step and returns the last position's logits, (B·V) row-major; the step's arrays are closed. */
    private float[] lastLogits(
            ParameterStore store, NDManager manager, KvCache cache, long[] ids, int length, long[][] maskRows) {
        int batch = maskRows.length;
        int keys = maskRows[0].length;
        long[] mask = new long[batch * keys];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(maskRows[b], 0, mask, b * keys, keys);
        }
        try (NDScope ignored = new NDScope()) {
            NDArray input = manager.create(ids, new Shape(batch, length));
            NDArray attention = manager.create(mask, new Shape(batch, keys));
            return lm.block()
                    .forward(store, input, attention, cache, false, null, true)
                    .toFloatArray();
        }
    }

    private Set<Long> eosIds() {
        Set<Long> eos = new LinkedHashSet<>(lm.config().eosTokenIds());
        lm.tokenizer().ifPresent(tokenizer -> Arrays.stream(tokenizer.eosIds()).forEach(eos::add));
        return eos;
    }

    private long padId(Set<Long> stops) {
        if (lm.config().padTokenId() >= 0) {
            return lm.config().padTokenId();
        }
        return stops.isEmpty() ? 0 : stops.iterator().next();
    }

    private static boolean allTrue(boolean[] values) {
        for (boolean value : values) {
            if (!value) {
                return false;
            }
        }
        return true;
    }
}
