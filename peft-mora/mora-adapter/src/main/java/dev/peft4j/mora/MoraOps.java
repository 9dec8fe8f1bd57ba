package dev.peft4j.mora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Tensor helpers that MoRA compression operators are built from (docs/math.md §4.2), each a handful
 * of engine operations on one axis: slicing, concatenation, tile, repeat, reshape and sum. None
 * loops over elements, gathers or builds a dense compression matrix, and each works the same on
 * the PyTorch and MXNet engines.
 *
 * <p>An axis may be negative, counting from the end. A result may be the input array itself when
 * there is nothing to do; new arrays belong to the input's manager. Gradients flow through every
 * helper.
 */
public final class MoraOps {

    private MoraOps() {}

    /**
     * Cyclic extension or truncation: {@code out_p = a_{p mod n}} for {@code p < length}, where n
     * is the axis' size. It pads inputs cyclically (types 1, 4, 6: {@code x̃_p = x_{p mod k}})
     * and tiles outputs (types 1, 3, 6: {@code out_o = y_{o mod r̂}}).
     *
     * @param a the array
     * @param axis the axis
     * @param length the new size of the axis, positive
     * @return the array with {@code length} entries on the axis
     */
    public static NDArray cyclic(NDArray a, int axis, long length) {
        int ax = normalize(a, axis);
        long n = a.getShape().get(ax);
        long copies = ceilDiv(length, n);
        NDArray tiled = a;
        if (copies > 1) {
            long[] repeats = new long[a.getShape().dimension()];
            Arrays.fill(repeats, 1);
            repeats[ax] = copies;
            tiled = a.tile(repeats);
        }
        return slice(tiled, ax, 0, length);
    }

    /**
     * Truncation or zero padding: the first {@code length} entries of the axis, with zeros after
     * the end of the array.
     *
     * @param a the array
     * @param axis the axis
     * @param length the new size of the axis, positive
     * @return the array with {@code length} entries on the axis
     */
    public static NDArray fit(NDArray a, int axis, long length) {
        int ax = normalize(a, axis);
        long n = a.getShape().get(ax);
        if (n >= length) {
            return slice(a, ax, 0, length);
        }
        long[] zeros = a.getShape().getShape().clone();
        zeros[ax] = length - n;
        return a.concat(a.getManager().zeros(new Shape(zeros), a.getDataType(), a.getDevice()), ax);
    }

    /**
     * Sums the entries of the last axis whose indices agree modulo a period: {@code out_j =
     * Σ_{p ≡ j (mod period)} a_p}. Cyclic compression is {@code foldSum(cyclic(x, -1, n_k·r̂),
     * r̂)}; folding the columns of a weight-space matrix onto k inputs is {@code foldSum(w, k)}.
     *
     * @param a the array, (…, n)
     * @param period the size of the result's last axis, positive
     * @return (…, period)
     */
    public static NDArray foldSum(NDArray a, long period) {
        long n = a.getShape().get(a.getShape().dimension() - 1);
        long rows = ceilDiv(n, period);
        NDArray padded = fit(a, -1, rows * period);
        return rows == 1 ? padded : sumAxis(reshapeLast(padded, 1, rows, period), -2);
    }

    /**
     * Sums contiguous groups of the last axis (types 2, 3): with n entries, {@code q = ⌊n/groups⌋}
     * and {@code m = n mod groups}, the first m groups have q + 1 entries and the others q. When
     * {@code q = 0} the groups past n are empty, so the result is x padded with zeros.
     *
     * @param a the array, (…, n)
     * @param groups the number of groups r̂, positive
     * @return (…, groups)
     */
    public static NDArray groupSum(NDArray a, long groups) {
        int last = a.getShape().dimension() - 1;
        long n = a.getShape().get(last);
        long q = n / groups;
        long m = n % groups;
        if (q == 0) {
            return fit(a, last, groups);
        }
        NDArray small = sumGroups(slice(a, last, m * (q + 1), n), groups - m, q);
        if (m == 0) {
            return small;
        }
        return sumGroups(slice(a, last, 0, m * (q + 1)), m, q + 1).concat(small, last);
    }

    private static NDArray sumGroups(NDArray a, long count, long size) {
        return size == 1 ? a : sumAxis(reshapeLast(a, 1, count, size), -1);
    }

    /**
     * Repeats each entry of an axis so that contiguous groups of the result share one entry (types
     * 2, 4, the transpose of {@link #groupSum}): with r entries, {@code q = ⌊length/r⌋} and {@code m =
     * length mod r}, entry j fills the j-th group, q + 1 long for {@code j < m} and q long
     * otherwise. When {@code q = 0} this keeps the first {@code length} entries.
     *
     * @param a the array
     * @param axis the axis, of size r
     * @param length the new size of the axis, positive
     * @return the array with {@code length} entries on the axis
     */
    public static NDArray interleave(NDArray a, int axis, long length) {
        int ax = normalize(a, axis);
        long r = a.getShape().get(ax);
        long q = length / r;
        long m = length % r;
        if (q == 0) {
            return slice(a, ax, 0, length);
        }
        NDArray rest = repeatEach(slice(a, ax, m, r), ax, q);
        if (m == 0) {
            return rest;
        }
        return repeatEach(slice(a, ax, 0, m), ax, q + 1).concat(rest, ax);
    }

    private static NDArray repeatEach(NDArray a, int axis, long times) {
        return times == 1 ? a : a.repeat(axis, times);
    }

    /**
     * Reshapes the last axes of an array, keeping the leading ones.
     *
     * @param a the array
     * @param axes how many trailing axes to replace
     * @param sizes their new sizes, with the same product
     * @return the reshaped array
     */
    public static NDArray reshapeLast(NDArray a, int axes, long... sizes) {
        Shape shape = a.getShape();
        return a.reshape(shape.slice(0, shape.dimension() - axes).addAll(new Shape(sizes)));
    }

    /**
     * The entries {@code [from, to)} of an axis.
     *
     * @param a the array
     * @param axis the axis
     * @param from the first index kept
     * @param to one past the last index kept
     * @return the slice, or {@code a} itself when it is the whole axis
     */
    public static NDArray slice(NDArray a, int axis, long from, long to) {
        int ax = normalize(a, axis);
        if (from == 0 && to == a.getShape().get(ax)) {
            return a;
        }
        return a.get(new NDIndex().addAllDim(ax).addSliceDim(from, to));
    }

    /**
     * {@code ⌈a/b⌉} for positive numbers.
     *
     * @param a the dividend, non-negative
     * @param b the divisor, positive
     * @return the rounded-up quotient
     */
    public static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static NDArray sumAxis(NDArray a, int axis) {
        return a.sum(new int[] {normalize(a, axis)});
    }

    private static int normalize(NDArray a, int axis) {
        int dimension = a.getShape().dimension();
        int ax = axis < 0 ? axis + dimension : axis;
        if (ax < 0 || ax >= dimension) {
            throw new IllegalArgumentException("Axis " + axis + " is out of range for shape " + a.getShape());
        }
        return ax;
    }
}
