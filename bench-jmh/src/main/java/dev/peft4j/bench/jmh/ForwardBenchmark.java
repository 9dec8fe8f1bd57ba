package dev.peft4j.bench.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/** One forward pass of the layer, unmerged, in eval and in training mode (the graph recorded, no backward). */
@State(Scope.Benchmark)
public class ForwardBenchmark extends LayerState {

    /** What runs on the layer. */
    @Param({
        "base",
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

    @Override
    protected String method() {
        return method;
    }

    /**
     * An eval forward; its output shape is checked.
     *
     * @param blackhole consumes the shape
     */
    @Benchmark
    public void evalForward(Blackhole blackhole) {
        blackhole.consume(workload.forward(false));
    }

    /**
     * A training forward; its output shape is checked.
     *
     * @param blackhole consumes the shape
     */
    @Benchmark
    public void trainForward(Blackhole blackhole) {
        blackhole.consume(workload.forward(true));
    }
}
