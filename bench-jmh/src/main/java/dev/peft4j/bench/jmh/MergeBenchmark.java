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
 * Merging the adapter into the base weight (W ← W0 + ΔW, in place); each invocation starts
 * unmerged, and each iteration checks that merging changed W and unmerging restored W0.
 */
@State(Scope.Benchmark)
public class MergeBenchmark extends LayerState {

    private static final double TOLERANCE = 1e-3;

    /** The adapter on the layer. */
    @Param({
        "lora",
        "dora",
        "mora-truncation",
        "mora-sharing",
        "mora-sharing-contiguous",
        "mora-sharing-contiguous-tile",
        "mora-sharing-cyclic-interleave",
        "mora-decouple",
        "mora-rotation"
    })
    public String method;

    private double baseChecksum;

    @Override
    protected String method() {
        return method;
    }

    /** Records W0's sum. */
    @Setup(Level.Iteration)
    public void recordBase() {
        baseChecksum = workload.weightChecksum();
    }

    /** Starts each merge from the unmerged layer (not timed). */
    @Setup(Level.Invocation)
    public void unmergeBefore() {
        if (workload.isMerged()) {
            workload.unmerge();
        }
    }

    /** Fails unless the merge changed W and unmerging restores W0. */
    @TearDown(Level.Iteration)
    public void requireRoundTrip() {
        double merged = workload.weightChecksum();
        workload.unmerge();
        double restored = workload.weightChecksum();
        if (merged == baseChecksum || Math.abs(restored - baseChecksum) > TOLERANCE * (1 + Math.abs(baseChecksum))) {
            throw new IllegalStateException(workload + ": merge/unmerge did not round-trip: W0 sum " + baseChecksum
                    + ", merged " + merged + ", unmerged " + restored);
        }
    }

    /**
     * One merge.
     *
     * @param blackhole consumes the merged state
     */
    @Benchmark
    public void merge(Blackhole blackhole) {
        workload.merge();
        blackhole.consume(workload.isMerged());
    }
}
