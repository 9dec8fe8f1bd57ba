package dev.peft4j.spi;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;

/**
 * A constant factor kept as a zero-dimensional engine array, made once instead of on every
 * forward: DJL makes an array from a Java number through a direct buffer, which costs about as
 * much as a small matmul (20–35 µs on PyTorch), and on PyTorch a buffer the garbage collector may
 * free before a backward pass reads it. The array belongs to a long-lived manager (the adapter's
 * parameters'), so it outlives every pass that reads it. One array is kept per device and data
 * type of the operands; it is made again when its manager was closed, or after {@link #release()}.
 * Thread-safe.
 */
public final class CachedScalar {

    private final float value;
    private final Map<Key, NDArray> arrays = new HashMap<>();

    private record Key(Device device, DataType dataType) {}

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
        Key key = new Key(operand.getDevice(), operand.getDataType());
        NDArray array = arrays.get(key);
        if (array == null || array.isReleased()) {
            NDArray made = owner.full(new Shape(), value, key.dataType());
            if (!made.getDevice().equals(key.device())) {
                NDArray moved = made.toDevice(key.device(), false);
                moved.attach(owner);
                made.close();
                made = moved;
            }
            // an enclosing NDScope would close it with the pass's temporaries
            NDScope.unregister(made);
            array = made;
            arrays.put(key, array);
        }
        return array;
    }

    /** Closes the arrays made so far; the next {@link #like} makes them again. */
    public synchronized void release() {
        arrays.values().forEach(NDArray::close);
        arrays.clear();
    }
}
