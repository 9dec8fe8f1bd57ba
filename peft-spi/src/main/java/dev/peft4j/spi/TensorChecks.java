package dev.peft4j.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.OptionalLong;

/**
 * Checks for values that must not reach a model: NaN, ±Inf and, for norms, zero. Built from
 * operations both engines have (MXNet lacks {@code isInfinite}): a value v is finite exactly when
 * {@code v − v == 0}.
 */
public final class TensorChecks {

    private TensorChecks() {}

    /**
     * The flat index of the first value that is NaN or infinite.
     *
     * @param values any array
     * @return the index, or empty when every value is finite
     */
    public static OptionalLong firstNonFinite(NDArray values) {
        return firstFalse(values.sub(values).eq(0));
    }

    /**
     * The flat index of the first value that is not a positive finite number.
     *
     * @param values any array, typically norms
     * @return the index, or empty when every value is positive and finite
     */
    public static OptionalLong firstNotPositiveFinite(NDArray values) {
        return firstFalse(values.gt(0).logicalAnd(values.sub(values).eq(0)));
    }

    private static OptionalLong firstFalse(NDArray good) {
        if (good.all().getBoolean()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(good.logicalNot()
                .flatten()
                .toType(DataType.INT32, false)
                .argMax()
                .getLong());
    }
}
