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
 * The timed part of the quick benchmark: the targets and the informational ratios that come from
 * pairs of operations timed side by side ({@link PairedTiming}), with their anchors and
 * definitions.
 */
final class TimedRatios {

    /** The MoRA operator of the paper's Eq. 6 (kongds/MoRA type 1). */
    static final String SHARING = "sharing";
    /** The MoRA operator of the paper's Eq. 9 (kongds/MoRA type 6). */
    static final String ROTATION = "rotation";

    private TimedRatios() {}

    /**
     * Times every pair and turns the timings into ratios.
     *
     * @param backend the engine and device
     * @param plugins the registry; it must offer the MoRA operators {@value #SHARING} and {@value #ROTATION}
     * @param settings the size, rounds and time budget
     * @param progress receives a line per pair
     * @return the six targets, then the informational timed ratios
     */
    static List<Ratio> measure(
            Backend backend, Plugins plugins, QuickBench.Settings settings, Consumer<String> progress) {
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
            Runnable mergedEval = () -> merged.forward(false);
            Runnable baseEval = () -> base.forward(false);
            Runnable loraEval = () -> lora.forward(false);
            Runnable cachedEval = () -> cached.forward(false);
            Runnable doraEval = () -> dora.forward(false);
            Runnable sharingEval = () -> sharing.forward(false);
            Runnable rotationEval = () -> rotation.forward(false);
            warmUpProcess(
                    List.of(
                            mergedEval,
                            baseEval,
                            loraEval,
                            cachedEval,
                            doraEval,
                            sharingEval,
                            rotationEval,
                            lora::trainStep,
                            fft::trainStep,
                            dora::trainStep,
                            sharing::trainStep,
                            rotation::trainStep),
                    settings,
                    progress);
            progress.accept(String.format(
                    Locale.ROOT,
                    "Timing pairs on %s (%s): at least %d warm-up rounds and %.1f s, then %d to %d timed rounds each "
                            + "(at most %.0f s after %d), alternating order",
                    backend,
                    size,
                    settings.warmups(),
                    settings.warmupSeconds(),
                    settings.minRounds(),
                    settings.rounds(),
                    settings.pairSeconds(),
                    settings.minRounds()));
            Pairs pairs = new Pairs(settings, progress);
            List<Ratio> ratios = new ArrayList<>();
            Timing merging = pairs.time("merged_forward/base_forward", mergedEval, baseEval);
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
                    "Train step with DoRA (norm detached, no cache) over LoRA's; DoRA also computes its row norms "
                            + "every step, from ‖W0‖ and (d, r) terms, without a (d, k) matrix",
                    doraStep));
            Timing doraCached = pairs.time("dora_cached_eval/lora_eval", cachedEval, loraEval);
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
            Timing rotationOverBase = pairs.time("rotation_eval/base_eval", rotationEval, baseEval);
            ratios.add(Ratio.targeted(
                    "rotation_overhead/analytic_overhead",
                    (rotationOverBase.ratio() - 1) / rotationShare,
                    1.5,
                    String.format(
                            Locale.ROOT,
                            "1.00 (physical limit: n_k·r̂²/(d·k) = %.4f of the base matmul, ≈ r̂/d)",
                            rotationShare),
                    "((t_rotation − t_base) / t_base) / (n_k·r̂²/(d·k)), t the eval forward of the layer with MoRA "
                            + "rotation (type 6) unmerged and of the plain layer, n_k = ⌈k/r̂⌉: the measured overhead "
                            + "over the FLOPs of the n_k (r̂×r̂) products relative to those of x·W0ᵀ",
                    rotationOverBase));
            Timing doraOverLora = pairs.time("dora_eval/lora_eval", doraEval, loraEval);
            ratios.add(Ratio.informational(
                    "dora_uncached_eval_forward/lora_eval_forward",
                    doraOverLora.ratio(),
                    Ratio.RATIO,
                    "2.39 (HF PEFT: DoRA eval forward +139% without caching)",
                    "Eval forward, unmerged, of DoRA without its cache over LoRA's",
                    doraOverLora));
            Timing rotationStep = pairs.time("rotation_step/sharing_step", rotation::trainStep, sharing::trainStep);
            ratios.add(Ratio.informational(
                    "rotation_step/sharing_step",
                    rotationStep.ratio(),
                    Ratio.RATIO,
                    "1.03 (MoRA paper: rotation vs sharing at 7B, r=8)",
                    "Train step with MoRA rotation (type 6) over sharing (type 1)",
                    rotationStep));
            double loraShare =
                    (double) (2 * size.features()) * size.rank() / ((double) size.features() * size.features());
            Timing loraOverBase = pairs.time("lora_eval/base_eval", loraEval, baseEval);
            ratios.add(Ratio.informational(
                    "lora_overhead/analytic_overhead",
                    (loraOverBase.ratio() - 1) / loraShare,
                    Ratio.RATIO,
                    String.format(
                            Locale.ROOT, "1.00 (physical limit: (d+k)·r/(d·k) = %.4f of the base matmul)", loraShare),
                    "((t_lora − t_base) / t_base) / ((d+k)·r/(d·k)), eval forwards, LoRA unmerged",
                    loraOverBase));
            double sharingShare = analyticOverhead(sharing);
            Timing sharingOverBase = pairs.time("sharing_eval/base_eval", sharingEval, baseEval);
            ratios.add(Ratio.informational(
                    "sharing_overhead/analytic_overhead",
                    (sharingOverBase.ratio() - 1) / sharingShare,
                    Ratio.RATIO,
                    String.format(
                            Locale.ROOT, "1.00 (physical limit: r̂²/(d·k) = %.4f of the base matmul)", sharingShare),
                    "((t_sharing − t_base) / t_base) / (r̂²/(d·k)), eval forwards, MoRA sharing unmerged",
                    sharingOverBase));
            return ratios;
        } finally {
            open.forEach(Workload::close);
        }
    }

    private static Workload open(
            List<Workload> open, Backend backend, Plugins plugins, BenchMethod method, BenchSize size) {
        Workload workload = Workload.create(backend, plugins, method, size);
        open.add(workload);
        return workload;
    }

    /**
     * Runs every operation the pairs time, in turns, for at least the settings' warm-up rounds and
     * process warm-up time, so that no pair is timed while the JIT is still compiling the shared
     * paths (on two cores its threads take time from the engine's).
     */
    private static void warmUpProcess(
            List<Runnable> operations, QuickBench.Settings settings, Consumer<String> progress) {
        progress.accept(String.format(
                Locale.ROOT,
                "Warming up the process: %d operations in turns for at least %d rounds and %.1f s",
                operations.size(),
                settings.warmups(),
                settings.processWarmupSeconds()));
        long end = System.nanoTime() + (long) (settings.processWarmupSeconds() * 1e9);
        for (int round = 0; round < settings.warmups() || System.nanoTime() < end; round++) {
            operations.forEach(Runnable::run);
        }
    }

    /** The FLOPs of MoRA's products with M relative to those of x·W0ᵀ: n·r̂²/(d·k), n the blocks per token. */
    private static double analyticOverhead(Workload mora) {
        MoraAdapter adapter = (MoraAdapter) mora.adapter();
        long reduced = adapter.reducedRank();
        long k = mora.size().features();
        long products = ROTATION.equals(adapter.operator().name()) ? MoraOps.ceilDiv(k, reduced) : 1;
        return (double) products * reduced * reduced / ((double) k * mora.size().features());
    }

    /** Times pairs with the settings' rounds and reports each on the progress line. */
    private record Pairs(QuickBench.Settings settings, Consumer<String> progress) {
        Timing time(String name, Runnable numerator, Runnable denominator) {
            Timing timing = PairedTiming.compare(
                    numerator,
                    denominator,
                    settings.warmups(),
                    settings.warmupSeconds(),
                    settings.minRounds(),
                    settings.rounds(),
                    settings.pairSeconds());
            progress.accept(String.format(
                    Locale.ROOT,
                    "  %-30s %6.3f   medians %.3f / %.3f ms, fastest %.3f / %.3f ms, %d rounds%s",
                    name,
                    timing.ratio(),
                    timing.numeratorMs(),
                    timing.denominatorMs(),
                    timing.numeratorMinMs(),
                    timing.denominatorMinMs(),
                    timing.rounds(),
                    timing.busy() ? " (busy machine)" : ""));
            return timing;
        }
    }
}
