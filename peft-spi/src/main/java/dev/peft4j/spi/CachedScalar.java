package dev.peft4j.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

/**
 * A constant factor kept as a zero-dimensional engine array, made once instead of on every
 * forward: DJL makes an array from a Java number through a direct buffer, which costs about as
 * much as a small matmul (20–35 µs on PyTorch), and on PyTorch a buffer the garbage collector may
 * free before a backward pass reads it. The array belongs to a long-lived manager (the adapter's
 * parameters'), so it outlives every pass that reads it; it is made again when that manager was
 * closed or an operand has another device or data type, or after {@link #release()}. Thread-safe.
 */
public final class CachedScalar {

    private final float value;
    private NDArray array;

    /**
     * Keeps a value.
     *
     * @param value the constant
     */
    public CachedScalar(float value) {
        this.value = value;
    }

    /**
     * The constant as a zero-dimensional array of the operand's device and data type. Pass the
     * operand first to a binary operation ({@code operand.mul(scalar)}), so that the result joins
     * the operand's manager, not the owner's.
     *
     * @param operand the array it is combined with
     * @param owner the manager that keeps the array, one that lives as long as the adapter
     * @return the constant, owned by {@code owner}
     */
    public synchronized NDArray like(NDArray operand, NDManager owner) {
        if (array == null
                || array.isReleased()
                || array.getDataType() != operand.getDataType()
                || !array.getDevice().equals(operand.getDevice())) {
            NDArray made = owner.full(new Shape(), value, operand.getDataType());
            if (!made.getDevice().equals(operand.getDevice())) {
                NDArray moved = made.toDevice(operand.getDevice(), false);
                moved.attach(owner);
                made.close();
                made = moved;
            }
            // an enclosing NDScope would close it with the pass's temporaries
            NDScope.unregister(made);
            array = made;
        }
        return array;
    }

    /** Closes the array, if one was made; the next {@link #like} makes it again. */
    public synchronized void release() {
        if (array != null) {
            array.close();
            array = null;
        }
    }

    /**
     * The constant.
     *
     * @return the value
     */
    public float value() {
        return value;
    }
}
