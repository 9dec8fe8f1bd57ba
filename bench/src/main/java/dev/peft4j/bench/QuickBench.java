package dev.peft4j.bench;

import dev.peft4j.core.Backend;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The quick benchmark behind {@code peft4j bench}: the project's performance targets as ratios of
 * operations timed side by side in one process ({@link TimedRatios}), next to their published
 * anchors; the cost of one tiny native call ({@link TinyOpCost}); the native operations each method
 * issues ({@link OperationCounts}); and a memory soak ({@link RssSoak}). With the default settings it takes one to
 * two minutes on a two-core laptop.
 */
public final class QuickBench {

    /**
     * What the quick benchmark runs.
     *
     * @param size the layer and batch of the timed pairs and of the operation counts
     * @param processWarmupSeconds the least time every timed operation runs, in turns, before the first
     *     pair: a fresh JVM on two cores is still compiling for seconds, and without it the first pair
     *     read 1.02–1.03 where the same pair timed last read 1.00
     * @param warmupSeconds the least time each pair's warm-up rounds take, so the JIT has compiled both
     *     operations' Java paths before they are timed
     * @param warmups the fewest rounds of each pair run before timing
     * @param minRounds the rounds of each pair timed however long they take
     * @param rounds the most rounds of each pair timed
     * @param pairSeconds the time after which a pair starts no further round once {@code minRounds} are done
     * @param soakSize the layer and batch of the memory soak
     * @param soakSteps the train steps of the memory soak, at least 2
     * @param tinyOpCalls the calls per batch when timing a tiny native call
     */
    public record Settings(
            BenchSize size,
            double processWarmupSeconds,
            double warmupSeconds,
            int warmups,
            int minRounds,
            int rounds,
            double pairSeconds,
            BenchSize soakSize,
            int soakSteps,
            int tinyOpCalls) {

        /**
         * Validates the counts.
         *
         * @param size the layer and batch of the timed pairs and of the operation counts
         * @param processWarmupSeconds the least time every timed operation runs, in turns, before the
         *     first pair, at least 0
         * @param warmupSeconds the least time each pair's warm-up rounds take, at least 0
         * @param warmups the fewest rounds of each pair run before timing
         * @param minRounds the rounds of each pair timed however long they take
         * @param rounds the most rounds of each pair timed
         * @param pairSeconds the time after which a pair starts no further round once {@code minRounds} are done
         * @param soakSize the layer and batch of the memory soak
         * @param soakSteps the train steps of the memory soak, at least 2
         * @param tinyOpCalls the calls per batch when timing a tiny native call
         */
        public Settings {
            if (!(processWarmupSeconds >= 0)
                    || !(warmupSeconds >= 0)
                    || warmups < 0
                    || minRounds <= 0
                    || rounds < minRounds
                    || !(pairSeconds > 0)
                    || soakSteps < 2
                    || tinyOpCalls <= 0) {
                throw new IllegalArgumentException("Benchmark settings out of range: process warm-up seconds="
                        + processWarmupSeconds + " (≥ 0), warm-up seconds=" + warmupSeconds + " (≥ 0), warmups="
                        + warmups + " (≥ 0), rounds=" + minRounds + ".." + rounds
                        + " (1 ≤ min ≤ max), seconds per pair=" + pairSeconds + " (> 0), soak steps=" + soakSteps
                        + " (≥ 2), tiny-op calls=" + tinyOpCalls + " (≥ 1)");
            }
        }

        /**
         * The settings of the targets: d = k = 1024, r = 8, 256 tokens; every timed operation run in
         * turns for at least 5 rounds and 4 s before the first pair; each pair warmed up for at least 5
         * rounds and 1 s; 11 to 101 rounds per pair within 6 s; a soak of 4,000 steps at d = 256,
         * 32 tokens.
         *
         * @return the defaults
         */
        public static Settings defaults() {
            return new Settings(
                    new BenchSize(1024, 8, 256), 4, 1, 5, 11, 101, 6, new BenchSize(256, 8, 32), 4000, 20_000);
        }
    }

    private QuickBench() {}

    /**
     * Runs the quick benchmark.
     *
     * @param backend the engine and device
     * @param plugins the registry; it must offer the MoRA operators {@code sharing} and {@code rotation}
     * @param settings what to run
     * @param progress receives a line as each part starts and each pair is timed
     * @return the report
     */
    public static BenchReport run(Backend backend, Plugins plugins, Settings settings, Consumer<String> progress) {
        long start = System.nanoTime();
        List<Ratio> ratios = new ArrayList<>(TimedRatios.measure(backend, plugins, settings, progress));
        progress.accept("Counting the operations of every method");
        List<OperationCount> operations = OperationCounts.measure(backend, plugins, settings.size());
        ratios.add(OperationCounts.memoryRatio(operations));
        progress.accept("Timing a tiny native call");
        ratios.add(Ratio.informational(
                "tiny_op_us",
                TinyOpCost.micros(backend, settings.tinyOpCalls()),
                Ratio.MICROS,
                "— (engine and JNI overhead; bounds any chain of small operations)",
                "Microseconds per native call of adding two 1-element arrays and closing the result, median of 5 "
                        + "batches of " + settings.tinyOpCalls() + " calls",
                null));
        progress.accept(String.format(
                Locale.ROOT, "Soaking memory over %,d train steps (%s)", settings.soakSteps(), settings.soakSize()));
        SoakResult soak = RssSoak.run(backend, plugins, settings.soakSize(), settings.soakSteps());
        if (soak.growth() != null) {
            ratios.add(Ratio.informational(
                    "soak_rss_growth",
                    soak.growth(),
                    Ratio.FRACTION,
                    String.format(Locale.ROOT, "< %.0f%% after warm-up (no native leak)", 100 * SoakResult.LIMIT),
                    "(VmRSS at the end − VmRSS after the first half of " + soak.steps() + " train steps) / VmRSS after "
                            + "warm-up, each sample right after System.gc(); each step is one method's train step and "
                            + "eval forward, methods taking turns",
                    null));
        }
        for (OperationCount count : operations) {
            ratios.add(Ratio.informational(
                    "ops/" + count.method() + "_eval_forward",
                    count.evalForward(),
                    Ratio.ARRAYS,
                    "—",
                    "NDArrays created by one eval forward of the layer (base alone: 1)",
                    null));
            if (count.trainStep() != null) {
                ratios.add(Ratio.informational(
                        "ops/" + count.method() + "_train_step",
                        count.trainStep(),
                        Ratio.ARRAYS,
                        "—",
                        "NDArrays created by one train step: forward, loss, backward, optimizer",
                        null));
            }
        }
        return new BenchReport(
                backend.engine().name(),
                backend.device().isGpu()
                        ? "gpu:" + backend.device().getDeviceId()
                        : backend.device().getDeviceType(),
                settings.size().features(),
                settings.size().rank(),
                settings.size().tokens(),
                settings.rounds(),
                (System.nanoTime() - start) / 1e9,
                ratios,
                operations,
                soak);
    }
}
