package dev.peft4j.mora.op.sharing;

import ai.djl.ndarray.NDManager;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import java.util.OptionalInt;

/** What the four official sharing operators have in common: a compressor, a decompressor and a type number. */
abstract sealed class SharingFamily implements CompressionOperator
        permits SharingOperator,
                ContiguousSharingOperator,
                ContiguousTileSharingOperator,
                CyclicInterleaveSharingOperator {

    private final String name;
    private final int moraType;
    private final Compressor compressor;
    private final Decompressor decompressor;

    SharingFamily(String name, int moraType, Compressor compressor, Decompressor decompressor) {
        this.name = name;
        this.moraType = moraType;
        this.compressor = compressor;
        this.decompressor = decompressor;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final OptionalInt moraType() {
        return OptionalInt.of(moraType);
    }

    @Override
    public final void checkShape(CompressionShape shape) {
        compressor.checkShape(shape, name);
    }

    @Override
    public final Compression bind(CompressionShape shape, NDManager manager) {
        checkShape(shape);
        return new SharingCompression(shape, compressor, decompressor);
    }

    @Override
    public final String toString() {
        return name + " (mora_type " + moraType + ")";
    }
}
