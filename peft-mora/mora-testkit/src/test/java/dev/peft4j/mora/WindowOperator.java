package dev.peft4j.mora;

import ai.djl.ndarray.NDManager;
import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import java.util.OptionalInt;

/** A test operator claiming type 1: a window of the first r̂ inputs; r̂ > k needs the generalisation. */
@AutoService(CompressionOperator.class)
public final class WindowOperator implements CompressionOperator {

    static final String NAME = "test-window";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptionalInt moraType() {
        return OptionalInt.of(1);
    }

    @Override
    public void checkShape(CompressionShape shape) {
        OfficialDomain.require(shape, NAME, shape.reducedRank() <= shape.inFeatures(), "r̂ > k in this test operator");
    }

    @Override
    public Compression bind(CompressionShape shape, NDManager manager) {
        checkShape(shape);
        return new WindowCompression(shape, manager, 1f);
    }
}
