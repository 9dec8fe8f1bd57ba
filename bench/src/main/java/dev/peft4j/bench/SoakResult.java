package dev.peft4j.bench;

import java.util.List;

/**
 * What a memory soak measured: the resident memory over many train steps.
 *
 * @param steps the train steps run, over all methods
 * @param warmupSteps the steps before the reference sample
 * @param size the layer and batch of every method
 * @param methods the methods, in the order they take turns
 * @param warmupRssKb the resident memory after warm-up in KiB, or {@code null} without {@code /proc}
 * @param finalRssKb the resident memory at the end in KiB, or {@code null}
 * @param growth {@code (final − warm-up) / warm-up}, or {@code null}
 * @param sampleSteps the steps after which memory was sampled
 * @param sampleRssKb the samples, in KiB
 */
public record SoakResult(
        int steps,
        int warmupSteps,
        String size,
        List<String> methods,
        Long warmupRssKb,
        Long finalRssKb,
        Double growth,
        List<Integer> sampleSteps,
        List<Long> sampleRssKb) {

    /** The largest growth after warm-up that counts as no leak. */
    public static final double LIMIT = 0.05;

    /**
     * Freezes the lists.
     *
     * @param steps the train steps run, over all methods
     * @param warmupSteps the steps before the reference sample
     * @param size the layer and batch of every method
     * @param methods the methods, in the order they take turns
     * @param warmupRssKb the resident memory after warm-up in KiB, or {@code null} without {@code /proc}
     * @param finalRssKb the resident memory at the end in KiB, or {@code null}
     * @param growth {@code (final − warm-up) / warm-up}, or {@code null}
     * @param sampleSteps the steps after which memory was sampled
     * @param sampleRssKb the samples, in KiB
     */
    public SoakResult {
        methods = List.copyOf(methods);
        sampleSteps = List.copyOf(sampleSteps);
        sampleRssKb = List.copyOf(sampleRssKb);
    }
}
