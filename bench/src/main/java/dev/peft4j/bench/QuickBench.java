package dev.peft4j.bench;

import dev.peft4j.core.Backend;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.MoraOps;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The quick benchmark behind {@code peft4j bench}: the project's performance targets as ratios of
 * operations timed side by side in one process ({@link PairedTiming}), next to their published
 * anchors; the cost of one tiny native call; the native operations each method issues ({@link
 * ArrayCounter}); and a memory soak ({@link RssSoak}). With the default settings it takes one to
 * two minutes on a two-core laptop.
 */
public final class QuickBench {

    /** The MoRA operator of the paper's Eq. 6 (kongds/MoRA type 1). */
    static final String SHARING = "sharing";
    /** The MoRA operator of the paper's Eq. 9 (kongds/MoRA type 6). */
    static final String ROTATION = "rotation";

    /**
     * What the quick benchmark runs.
     *
     * @param size the layer and batch of the timed pairs and of the operation counts
     * @param warmups the rounds of each pair run before timing
     * @param minRounds the rounds of each pair timed however long they take
     * @param rounds the most rounds of each pair timed
     * @param pairSeconds the time after which a pair starts no further round once {@code minRounds} are done
     * @param soakSize the layer and batch of the memory soak
     * @param soakSteps the train steps of the memory soak, at least 2
     * @param tinyOpCalls the calls per batch when timing a tiny native call
     */
    public record Settings(
            BenchSize size,
            int warmups,
            int minRounds,
            int rounds,
            double pairSeconds,
            BenchSize soakSize,
            int soakSteps,
            int tinyOpCalls) {

        /** Validates the counts. */
        public Settings {
            if (warmups < 0 || minRounds <= 0 || rounds < minRounds || !(pairSeconds > 0) || soakSteps < 2 || tinyOpCalls <= 0) {
                throw new IllegalArgumentException(
                        "Benchmark settings out of range: warmups=" + warmups + " (≥ 0), rounds=" + minRounds + ".." + rounds
                                + " (1 ≤ min ≤ max), seconds per pair=" + pairSeconds + " (> 0), soak steps=" + soakSteps
                                + " (≥ 2), tiny-op calls=" + tinyOpCalls + " (≥ 1)");
            }
        }

        /**
         * The settings of the targets: d = k = 1024, r = 8, 256 tokens; 11 to 101 rounds per pair
         * within 6 s; a soak of 4,000 steps at d = 256, 32 tokens.
         *
         * @return the defaults
         */
        public static Settings defaults() {
            return new Settings(new BenchSize(1024, 8, 256), 5, 11, 101, 6, new BenchSize(256, 8, 32), 4000, 20_000);
        }
    }

    private QuickBench() {}

    /**
     * Runs the quick benchmark.
     *
     * @param backend the engine and device
     * @param plugins the registry; it must offer the MoRA operators {@value #SHARING} and {@value
     *     #ROTATION}
     * @param settings what to run
     * @param progress receives a line as each part starts and each pair is timed
     * @return the report
     */
    public static BenchReport run(Backend backend, Plugins plugins, Settings settings, Consumer<String> progress) {
        long start = System.nanoTime();
        List<Ratio> ratios = new ArrayList<>(timedRatios(backend, plugins, settings, progress));
        progress.accept("Counting the operations of every method");
        List<OperationCount> operations = countOperations(backend, plugins, settings.size());
        ratios.add(memoryRatio(operations));
        progress.accept("Timing a tiny native call");
        ratios.add(Ratio.informational(
                "tiny_op_us",
                TinyOpCost.micros(backend, settings.tinyOpCalls()),
                Ratio.MICROS,
                "— (engine and JNI overhead; bounds any chain of small operations)",
                "Microseconds per native call of adding two 1-element arrays and closing the result, median of 5 "
                        + "batches of " + settings.tinyOpCalls() + " calls",
                null));
        progress.accept(String.format(Locale.ROOT, "Soaking memory over %,d train steps (%s)", settings.soakSteps(), settings.soakSize()));
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
                    "ops/" + count.method() + "_eval_forward", count.evalForward(), Ratio.ARRAYS, "—",
                    "NDArrays created by one eval forward of the layer (base alone: 1)", null));
            if (count.trainStep() != null) {
                ratios.add(Ratio.informational(
                        "ops/" + count.method() + "_train_step", count.trainStep(), Ratio.ARRAYS, "—",
                        "NDArrays created by one train step: forward, loss, backward, optimizer", null));
            }
        }
        return new BenchReport(
                backend.engine().name(),
                backend.device().isGpu() ? "gpu:" + backend.device().getDeviceId() : backend.device().getDeviceType(),
                settings.size().features(),
                settings.size().rank(),
                settings.size().tokens(),
                settings.rounds(),
                (System.nanoTime() - start) / 1e9,
                ratios,
                operations,
                soak);
    }

    private static List<Ratio> timedRatios(Backend backend, Plugins plugins, Settings settings, Consumer<String> progress) {
        BenchSize size = settings.size();
        List<Workload> open = new ArrayList<>();
        try {
            Workload base = open(open, backend, plugins, BenchMethod.BASE, size);
            Workload merged = open(open, backend, plugins, BenchMethod.LORA, size);
            Workload lora = open(open, backend, plugins, BenchMethod.LORA, size);
            Workload fft = open(open, backend, plugins, BenchMethod.FFT, size);
            Workload dora = open(open, backend, plugins, BenchMethod.DORA, size);
            Workload cached = open(open, backend, plugins, BenchMethod.DORA_CACHED, size);
            Workload sharing = open(open, backend, plugins, BenchMethod.mora(SHARING), size);
            Workload rotation = open(open, backend, plugins, BenchMethod.mora(ROTATION), size);
            merged.merge();
            progress.accept(String.format(
                    Locale.ROOT,
                    "Timing pairs on %s (%s): %d warm-up and %d to %d timed rounds each (at most %.0f s after %d), "
                            + "alternating order",
                    backend, size, settings.warmups(), settings.minRounds(), settings.rounds(), settings.pairSeconds(),
                    settings.minRounds()));
            Pairs pairs = new Pairs(settings, progress);
            List<Ratio> ratios = new ArrayList<>();
            Timing merging = pairs.time("merged_forward/base_forward", () -> merged.forward(false), () -> base.forward(false));
            ratios.add(Ratio.targeted(
                    "merged_forward/base_forward",
                    merging.ratio(),
                    1.02,
                    "1.00 (LoRA paper §4.1: no added inference latency once merged)",
                    "Eval forward of the layer with LoRA merged into W, over the eval forward of the plain frozen layer",
                    merging));
            Timing loraFft = pairs.time("lora_step/fft_step", lora::trainStep, fft::trainStep);
            ratios.add(Ratio.targeted(
                    "lora_step/fft_step",
                    loraFft.ratio(),
                    0.85,
                    "0.75 (LoRA paper: ~25% faster than full fine-tuning, no W0 gradient)",
                    "Train step (forward, L2 loss, backward, AdamW) with LoRA over one with W and b trained. The input "
                            + "requires a gradient, as inside a network, so both compute dL/dx; only full fine-tuning "
                            + "computes dL/dW0 and updates d·k values (ideal ≈ 2/3: two d·k matmuls against three)",
                    loraFft));
            Timing doraStep = pairs.time("dora_step/lora_step", dora::trainStep, lora::trainStep);
            ratios.add(Ratio.targeted(
                    "dora_step/lora_step",
                    doraStep.ratio(),
                    1.15,
                    "1.21 (HF PEFT, MetaMathQA, Llama-3.2-3B)",
                    "Train step with DoRA (norm detached, no cache) over LoRA's; DoRA also forms s·B·A, W0 + s·B·A "
                            + "and its row norms every step",
                    doraStep));
            Timing doraCached = pairs.time("dora_cached_eval/lora_eval", () -> cached.forward(false), () -> lora.forward(false));
            ratios.add(Ratio.targeted(
                    "dora_cached_eval_forward/lora_eval_forward",
                    doraCached.ratio(),
                    1.10,
                    "1.17 (HF PEFT: DoRA eval forward +17% with caching)",
                    "Eval forward, unmerged, of DoRA with dora_eval_cache=true (m/n kept) over LoRA's",
                    doraCached));
            Timing sharingStep = pairs.time("mora_sharing_step/lora_step", sharing::trainStep, lora::trainStep);
            ratios.add(Ratio.targeted(
                    "mora_sharing_step/lora_step",
                    sharingStep.ratio(),
                    1.10,
                    "≈ 1.00 (same trainable count and FLOPs: r̂² ≈ (d+k)·r)",
                    "Train step with MoRA, operator sharing (type 1), over LoRA's at the same r",
                    sharingStep));
            double rotationShare = analyticOverhead(rotation);
            Timing rotationEval = pairs.time("rotation_eval/base_eval", () -> rotation.forward(false), () -> base.forward(false));
            ratios.add(Ratio.targeted(
                    "rotation_overhead/analytic_overhead",
                    (rotationEval.ratio() - 1) / rotationShare,
                    1.5,
                    String.format(Locale.ROOT, "1.00 (physical limit: n_k·r̂²/(d·k) = %.4f of the base matmul, ≈ r̂/d)", rotationShare),
                    "((t_rotation − t_base) / t_base) / (n_k·r̂²/(d·k)), t the eval forward of the layer with MoRA "
                            + "rotation (type 6) unmerged and of the plain layer, n_k = ⌈k/r̂⌉: the measured overhead "
                            + "over the FLOPs of the n_k (r̂×r̂) products relative to those of x·W0ᵀ",
                    rotationEval));
            Timing doraEval = pairs.time("dora_eval/lora_eval", () -> dora.forward(false), () -> lora.forward(false));
            ratios.add(Ratio.informational(
                    "dora_uncached_eval_forward/lora_eval_forward",
                    doraEval.ratio(),
                    Ratio.RATIO,
                    "2.39 (HF PEFT: DoRA eval forward +139% without caching)",
                    "Eval forward, unmerged, of DoRA without its cache over LoRA's",
                    doraEval));
            Timing rotationStep = pairs.time("rotation_step/sharing_step", rotation::trainStep, sharing::trainStep);
            ratios.add(Ratio.informational(
                    "rotation_step/sharing_step",
                    rotationStep.ratio(),
                    Ratio.RATIO,
                    "1.03 (MoRA paper: rotation vs sharing at 7B, r=8)",
                    "Train step with MoRA rotation (type 6) over sharing (type 1)",
                    rotationStep));
            double loraShare = (double) (2 * size.features()) * size.rank() / ((double) size.features() * size.features());
            Timing loraEval = pairs.time("lora_eval/base_eval", () -> lora.forward(false), () -> base.forward(false));
            ratios.add(Ratio.informational(
                    "lora_overhead/analytic_overhead",
                    (loraEval.ratio() - 1) / loraShare,
                    Ratio.RATIO,
                    String.format(Locale.ROOT, "1.00 (physical limit: (d+k)·r/(d·k) = %.4f of the base matmul)", loraShare),
                    "((t_lora − t_base) / t_base) / ((d+k)·r/(d·k)), eval forwards, LoRA unmerged",
                    loraEval));
            double sharingShare = analyticOverhead(sharing);
            Timing sharingEval = pairs.time("sharing_eval/base_eval", () -> sharing.forward(false), () -> base.forward(false));
            ratios.add(Ratio.informational(
                    "sharing_overhead/analytic_overhead",
                    (sharingEval.ratio() - 1) / sharingShare,
                    Ratio.RATIO,
                    String.format(Locale.ROOT, "1.00 (physical limit: r̂²/(d·k) = %.4f of the base matmul)", sharingShare),
                    "((t_sharing − t_base) / t_base) / (r̂²/(d·k)), eval forwards, MoRA sharing unmerged",
                    sharingEval));
            return ratios;
        } finally {
            open.forEach(Workload::close);
        }
    }

    private static Workload open(List<Workload> open, Backend backend, Plugins plugins, BenchMethod method, BenchSize size) {
        Workload workload = Workload.create(backend, plugins, method, size);
        open.add(workload);
        return workload;
    }

    /** The FLOPs of MoRA's products with M relative to those of x·W0ᵀ: n·r̂²/(d·k), n the blocks per token. */
    private static double analyticOverhead(Workload mora) {
        MoraAdapter adapter = (MoraAdapter) mora.adapter();
        long reduced = adapter.reducedRank();
        long k = mora.size().features();
        long products = ROTATION.equals(adapter.operator().name()) ? MoraOps.ceilDiv(k, reduced) : 1;
        return (double) products * reduced * reduced / ((double) k * mora.size().features());
    }

    private static List<OperationCount> countOperations(Backend backend, Plugins plugins, BenchSize size) {
        List<OperationCount> counts = new ArrayList<>();
        for (BenchMethod method : BenchMethod.all(plugins)) {
            try (Workload workload = Workload.create(backend, plugins, method, size)) {
                ArrayCounter.Usage step = null;
                if (method.isTrainable()) {
                    workload.trainStep();
                    workload.trainStep();
                    step = ArrayCounter.measure(workload.manager(), workload::trainStep);
                }
                workload.forward(false);
                ArrayCounter.Usage forward = ArrayCounter.measure(workload.manager(), () -> workload.forward(false));
                counts.add(new OperationCount(
                        method.name(),
                        forward.arrays(),
                        step == null ? null : step.arrays(),
                        step == null ? null : step.peakBytes()));
            }
        }
        return counts;
    }

    private static Ratio memoryRatio(List<OperationCount> operations) {
        long dora = peakBytes(operations, BenchMethod.DORA);
        long lora = peakBytes(operations, BenchMethod.LORA);
        return Ratio.informational(
                "dora_step_memory/lora_step_memory",
                (double) dora / lora,
                Ratio.RATIO,
                "1.10 (HF PEFT, MetaMathQA, Llama-3.2-3B: peak training memory)",
                "Peak bytes held at once by the model's NDArrays during a train step (W0, b, adapter, optimizer "
                        + "state, batch, activations and temporaries; not the engine's internal autograd buffers), "
                        + "DoRA over LoRA",
                null);
    }

    private static long peakBytes(List<OperationCount> operations, BenchMethod method) {
        return operations.stream()
                .filter(count -> count.method().equals(method.name()))
                .map(OperationCount::trainStepPeakBytes)
                .findFirst()
                .orElseThrow();
    }

    /** Times pairs with the settings' rounds and reports each on the progress line. */
    private record Pairs(Settings settings, Consumer<String> progress) {
        Timing time(String name, Runnable numerator, Runnable denominator) {
            Timing timing = PairedTiming.compare(
                    numerator, denominator, settings.warmups(), settings.minRounds(), settings.rounds(), settings.pairSeconds());
            progress.accept(String.format(
                    Locale.ROOT,
                    "  %-30s %6.3f   medians %.3f / %.3f ms, fastest %.3f / %.3f ms, %d rounds%s",
                    name, timing.ratio(), timing.numeratorMs(), timing.denominatorMs(), timing.numeratorMinMs(),
                    timing.denominatorMinMs(), timing.rounds(), timing.busy() ? " (busy machine)" : ""));
            return timing;
        }
    }
}
