package dev.peft4j.train;

import dev.peft4j.spi.AdapterConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link FineTuner} trains and how.
 *
 * @param method the adapter method: {@code lora}, {@code dora}, {@code mora} or a plugin's name
 * @param rank r
 * @param alpha α (LoRA, DoRA; the scaling is α/r)
 * @param targetModules module names ({@code q_proj}, {@code v_proj}) or {@code all-linear}
 * @param options the method's options ({@code operator} for MoRA, …)
 * @param learningRate the peak learning rate
 * @param warmupSteps linear warmup steps
 * @param schedule the decay after warmup
 * @param weightDecay AdamW's decoupled weight decay
 * @param maxGradNorm the global gradient norm clipped to, or 0 for no clipping
 * @param batchSize sequences per micro-batch
 * @param gradientAccumulation micro-batches per optimizer step
 * @param maxLength the longest sequence kept; longer ones are cut
 * @param epochs passes over the data, or 0 when {@code steps} is given
 * @param steps optimizer steps, or 0 when {@code epochs} is given
 * @param evalEvery evaluate every this many steps (0: only at the end)
 * @param saveEvery write a checkpoint every this many steps (0: none)
 * @param seed seeds the adapter's initialisation, the data order and dropout
 */
public record FineTuneConfig(
        String method,
        int rank,
        float alpha,
        List<String> targetModules,
        Map<String, String> options,
        float learningRate,
        int warmupSteps,
        LearningRateSchedule.Shape schedule,
        float weightDecay,
        float maxGradNorm,
        int batchSize,
        int gradientAccumulation,
        int maxLength,
        int epochs,
        int steps,
        int evalEvery,
        int saveEvery,
        long seed) {

    /**
     * Validates every value.
     *
     * @param method the adapter method: {@code lora}, {@code dora}, {@code mora} or a plugin's name
     * @param rank r
     * @param alpha α (LoRA, DoRA; the scaling is α/r)
     * @param targetModules module names ({@code q_proj}, {@code v_proj}) or {@code all-linear}
     * @param options the method's options ({@code operator} for MoRA, …)
     * @param learningRate the peak learning rate
     * @param warmupSteps linear warmup steps
     * @param schedule the decay after warmup
     * @param weightDecay AdamW's decoupled weight decay
     * @param maxGradNorm the global gradient norm clipped to, or 0 for no clipping
     * @param batchSize sequences per micro-batch
     * @param gradientAccumulation micro-batches per optimizer step
     * @param maxLength the longest sequence kept; longer ones are cut
     * @param epochs passes over the data, or 0 when {@code steps} is given
     * @param steps optimizer steps, or 0 when {@code epochs} is given
     * @param evalEvery evaluate every this many steps (0: only at the end)
     * @param saveEvery write a checkpoint every this many steps (0: none)
     * @param seed seeds the adapter's initialisation, the data order and dropout
     * @throws IllegalArgumentException naming the first value out of range
     */
    public FineTuneConfig {
        targetModules = List.copyOf(targetModules);
        options = Map.copyOf(options);
        require(rank >= 1, "rank must be ≥ 1, got " + rank);
        require(alpha > 0 && Float.isFinite(alpha), "alpha must be > 0 and finite, got " + alpha);
        require(!targetModules.isEmpty(), "target modules must not be empty");
        require(
                Set.copyOf(targetModules).size() == targetModules.size(),
                "give each target module once, got " + targetModules);
        require(
                learningRate > 0 && Float.isFinite(learningRate),
                "learning rate must be > 0 and finite, got " + learningRate);
        require(warmupSteps >= 0, "warmup steps must be ≥ 0, got " + warmupSteps);
        require(weightDecay >= 0 && Float.isFinite(weightDecay), "weight decay must be ≥ 0, got " + weightDecay);
        require(
                maxGradNorm >= 0 && Float.isFinite(maxGradNorm),
                "max grad norm must be ≥ 0 (0: no clipping), got " + maxGradNorm);
        require(batchSize >= 1, "batch size must be ≥ 1, got " + batchSize);
        require(gradientAccumulation >= 1, "gradient accumulation must be ≥ 1, got " + gradientAccumulation);
        require(maxLength >= 2, "max length must be ≥ 2, got " + maxLength);
        require(
                (epochs > 0) != (steps > 0),
                "give either epochs or steps (one of them > 0), got epochs " + epochs + ", steps " + steps);
        require(epochs >= 0 && steps >= 0, "epochs and steps must be ≥ 0");
        require(evalEvery >= 0 && saveEvery >= 0, "eval-every and save-every must be ≥ 0");
        require(
                steps == 0 || warmupSteps < steps,
                "warmup steps must be fewer than the " + steps + " steps of the run, got " + warmupSteps);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * The adapter configuration these settings give.
     *
     * @return the configuration
     */
    public AdapterConfig adapterConfig() {
        AdapterConfig.Builder builder =
                AdapterConfig.builder(method).setRank(rank).optAlpha(alpha);
        options.forEach(builder::optOption);
        return builder.build();
    }

    /**
     * The optimizer steps of the run.
     *
     * @param batchesPerEpoch micro-batches in one pass over the data
     * @return the steps
     */
    public int totalSteps(int batchesPerEpoch) {
        return steps > 0
                ? steps
                : Math.max(1, (int) Math.ceil((double) epochs * batchesPerEpoch / gradientAccumulation));
    }
}
