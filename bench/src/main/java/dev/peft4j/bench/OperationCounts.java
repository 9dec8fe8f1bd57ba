package dev.peft4j.bench;

import dev.peft4j.core.Backend;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;

/** The native operations and train-step memory of every method, counted with {@link ArrayCounter}. */
final class OperationCounts {

    private OperationCounts() {}

    /**
     * Counts, for every method of the registry, the arrays one eval forward and one train step
     * create (after two warm-up steps and one warm-up forward) and the train step's peak bytes.
     *
     * @param backend the engine and device
     * @param plugins the registry
     * @param size the layer and batch
     * @return one count per method, in {@link BenchMethod#all} order
     */
    static List<OperationCount> measure(Backend backend, Plugins plugins, BenchSize size) {
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

    /**
     * DoRA's train-step peak bytes over LoRA's.
     *
     * @param operations the counts, DoRA's and LoRA's among them
     * @return the informational ratio
     */
    static Ratio memoryRatio(List<OperationCount> operations) {
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
}
