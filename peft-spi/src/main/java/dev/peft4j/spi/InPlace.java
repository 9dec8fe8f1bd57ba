package dev.peft4j.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Writes values into an existing array, keeping the array, its manager and its gradient flag: how
 * a parameter receives new values. It assigns through a full slice rather than DJL's {@code
 * NDArray.copyTo} or {@code NDArray.set(Buffer)}, which on PyTorch print libtorch's
 * "AutoNonVariableTypeMode is deprecated" warning to the terminal.
 */
public final class InPlace {

    private static final NDIndex ALL = new NDIndex(":");

    private InPlace() {}

    /**
     * Copies values into an array.
     *
     * @param source the values; its shape must equal the target's or broadcast to it
     * @param target the array that receives them, at least one-dimensional
     */
    public static void copy(NDArray source, NDArray target) {
        target.set(ALL, source);
    }

    /**
     * Writes float values into an array of any floating-point type.
     *
     * @param values the values, row-major, one per element of the target
     * @param target the array that receives them, at least one-dimensional
     */
    public static void copy(float[] values, NDArray target) {
        try (NDManager scope = target.getManager().newSubManager()) {
            copy(scope.create(values, target.getShape()).toType(target.getDataType(), false), target);
        }
    }

    /**
     * Sets every element of an array to zero. The zero is written from a temporary array, closed
     * before it returns (MXNet would otherwise leave it in the target's manager).
     *
     * @param target the array, at least one-dimensional
     */
    public static void zero(NDArray target) {
        try (NDManager scope = target.getManager().newSubManager()) {
            copy(scope.zeros(new Shape(), target.getDataType()), target);
        }
    }
}
