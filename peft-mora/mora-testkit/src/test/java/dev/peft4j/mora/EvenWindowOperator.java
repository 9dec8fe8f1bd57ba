package dev.peft4j.mora;

import ai.djl.ndarray.NDManager;
import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import java.util.OptionalInt;

/** A test operator claiming type 2: the window with gain 2 and an even r̂. */
@AutoService(CompressionOperator.class)
public final class EvenWindowOperator implements CompressionOperator {

    static final String NAME = "test-even-window";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptionalInt moraType() {
        return OptionalInt.of(2);
    }

    @Override
    public int adjustRank(int reducedRank) {
        return reducedRank / 2 * 2;
    }

    @Override
    public Compression bind(CompressionShape shape, NDManager manager) {
        return new WindowCompression(shape, manager, 2f);
    }
}
