package com.example.peft4j;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionShape;

/** The strided operator bound to one layer: the strides and how many entries each side keeps. */
final class StridedCompression implements Compression {

    private final int reducedRank;
    private final int outFeatures;
    private final int inFeatures;
    private final int inStride;
    private final int outStride;
    private final int sampledInputs;
    private final int writtenOutputs;

    StridedCompression(CompressionShape shape) {
        this.reducedRank = shape.reducedRank();
        this.outFeatures = shape.outFeatures();
        this.inFeatures = shape.inFeatures();
        this.inStride = ceilDiv(inFeatures, reducedRank);
        this.outStride = ceilDiv(outFeatures, reducedRank);
        this.sampledInputs = ceilDiv(inFeatures, inStride);
        this.writtenOutputs = ceilDiv(outFeatures, outStride);
    }

    /** {@code (…, k) → (…, r̂)}: every s-th input, zero-padded to r̂. */
    @Override
    public NDArray compress(NDArray input) {
        return fit(sample(input, inStride, sampledInputs), -1, reducedRank);
    }

    /** {@code (…, r̂) → (…, d)}: the first ⌈d/t⌉ entries, placed t apart. */
    @Override
    public NDArray decompress(NDArray reduced) {
        return spread(fit(reduced, -1, writtenOutputs), -1, outStride, outFeatures);
    }

    /** ΔW (d, k): the used block of M, its rows placed t apart and its columns s apart. */
    @Override
    public NDArray deltaWeight(NDArray m) {
        NDArray block = fit(fit(m, 0, writtenOutputs), 1, sampledInputs);
        return spread(spread(block, 0, outStride, outFeatures), 1, inStride, inFeatures);
    }

    /** Entries 0, stride, 2·stride, … of the last axis: (…, n) → (…, count). */
    private static NDArray sample(NDArray a, int stride, int count) {
        if (stride == 1) {
            return a;
        }
        NDArray grouped = fit(a, -1, (long) count * stride).reshape(withLast(a.getShape(), 1, count, stride));
        return slice(grouped, grouped.getShape().dimension() - 1, 0, 1).squeeze(-1);
    }

    /** Places the entries of an axis {@code stride} apart with zeros between, cut to {@code length}. */
    private static NDArray spread(NDArray a, int axis, int stride, long length) {
        int ax = normalize(a, axis);
        if (stride == 1) {
            return fit(a, ax, length);
        }
        NDArray padded = fit(a.expandDims(ax + 1), ax + 1, stride);
        long[] merged = a.getShape().getShape().clone();
        merged[ax] *= stride;
        return fit(padded.reshape(new Shape(merged)), ax, length);
    }

    /** The first {@code length} entries of an axis, zero-padded past the array's end. */
    private static NDArray fit(NDArray a, int axis, long length) {
        int ax = normalize(a, axis);
        long n = a.getShape().get(ax);
        if (n >= length) {
            return slice(a, ax, 0, length);
        }
        long[] zeros = a.getShape().getShape().clone();
        zeros[ax] = length - n;
        return a.concat(a.getManager().zeros(new Shape(zeros), a.getDataType(), a.getDevice()), ax);
    }

    private static NDArray slice(NDArray a, int axis, long from, long to) {
        if (from == 0 && to == a.getShape().get(axis)) {
            return a;
        }
        return a.get(new NDIndex().addAllDim(axis).addSliceDim(from, to));
    }

    private static Shape withLast(Shape shape, int replaced, long... sizes) {
        return shape.slice(0, shape.dimension() - replaced).addAll(new Shape(sizes));
    }

    private static int normalize(NDArray a, int axis) {
        return axis < 0 ? axis + a.getShape().dimension() : axis;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
