package dev.peft4j.bench.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A full train step: forward, L2 loss, backward, AdamW update. Each step's loss is checked to be
 * finite, and each iteration must change the trained values.
 */
@State(Scope.Benchmark)
public class TrainStepBenchmark extends LayerState {

    /** What trains on the layer. */
    @Param({
        "fft",
        "lora",
        "dora",
        "dora-cached",
        "mora-truncation",
        "mora-sharing",
        "mora-sharing-contiguous",
        "mora-sharing-contiguous-tile",
        "mora-sharing-cyclic-interleave",
        "mora-decouple",
        "mora-rotation"
    })
    public String method;

    private double checksumBefore;

    @Override
    protected String method() {
        return method;
    }

    /** Records the trained values' sum. */
    @Setup(Level.Iteration)
    public void recordValues() {
        checksumBefore = workload.trainableChecksum();
    }

    /** Fails unless the iteration's steps changed the trained values. */
    @TearDown(Level.Iteration)
    public void requireTrained() {
        if (workload.trainableChecksum() == checksumBefore) {
            throw new IllegalStateException(workload + ": train steps left the trained values unchanged");
        }
    }

    /**
     * One train step.
     *
     * @param blackhole consumes the loss
     */
    @Benchmark
    public void trainStep(Blackhole blackhole) {
        blackhole.consume(workload.trainStep());
    }
}
