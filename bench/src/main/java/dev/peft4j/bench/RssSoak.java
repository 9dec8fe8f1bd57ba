package dev.peft4j.bench;

import dev.peft4j.core.Backend;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Checks that training does not grow native memory. Train steps, each followed by an eval
 * forward, cycle through every trainable method at a small size while the resident memory
 * ({@link ProcessStats#residentKib}) is sampled, each time right after {@code System.gc()}, so that the Java heap is
 * back to its live set and the samples follow native memory rather than how much of the young
 * generation the JVM has touched so far. The first half of the steps is warm-up: optimizer state,
 * caches, allocator pools, and the JIT compiler, whose C2 arenas (malloc'd, kept by glibc) add
 * 10–30 MB in steps during the first few thousand steps. The growth is {@code (RSS at the end −
 * RSS after warm-up) / RSS after warm-up}.
 */
final class RssSoak {

    private static final int SAMPLES = 50;
    private static final int WARMUP_DIVISOR = 2;

    private RssSoak() {}

    /**
     * Runs the soak.
     *
     * @param backend the engine and device
     * @param plugins the registry, for the methods
     * @param size the layer and batch
     * @param steps the train steps, over all methods; at least 2
     * @return the outcome
     */
    static SoakResult run(Backend backend, Plugins plugins, BenchSize size, int steps) {
        if (steps < WARMUP_DIVISOR) {
            throw new IllegalArgumentException("Soak steps must be at least " + WARMUP_DIVISOR + ", got " + steps);
        }
        List<BenchMethod> methods = BenchMethod.all(plugins).stream()
                .filter(BenchMethod::isTrainable)
                .toList();
        List<Workload> workloads = new ArrayList<>();
        try {
            for (BenchMethod method : methods) {
                workloads.add(Workload.create(backend, plugins, method, size));
            }
            int warmupSteps = steps / WARMUP_DIVISOR;
            int interval = Math.max(1, steps / SAMPLES);
            List<Integer> sampleSteps = new ArrayList<>();
            List<Long> sampleRss = new ArrayList<>();
            Long warmupRss = null;
            for (int step = 1; step <= steps; step++) {
                Workload workload = workloads.get(step % workloads.size());
                workload.trainStep();
                workload.forward(false);
                if (step % interval == 0 || step == warmupSteps || step == steps) {
                    System.gc();
                    OptionalLong rss = ProcessStats.residentKib();
                    if (rss.isPresent()) {
                        sampleSteps.add(step);
                        sampleRss.add(rss.getAsLong());
                        if (step == warmupSteps) {
                            warmupRss = rss.getAsLong();
                        }
                    }
                }
            }
            Long finalRss = sampleRss.isEmpty() ? null : sampleRss.get(sampleRss.size() - 1);
            Double growth = warmupRss == null || finalRss == null ? null : (finalRss - warmupRss) / (double) warmupRss;
            return new SoakResult(
                    steps,
                    warmupSteps,
                    size.toString(),
                    methods.stream().map(BenchMethod::name).toList(),
                    warmupRss,
                    finalRss,
                    growth,
                    sampleSteps,
                    sampleRss);
        } finally {
            workloads.forEach(Workload::close);
        }
    }
}
