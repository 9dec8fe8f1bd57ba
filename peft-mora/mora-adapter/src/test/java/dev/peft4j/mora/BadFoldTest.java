package dev.peft4j.mora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.peft4j.mora.spi.Compression;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.CompressionShape;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** An operator whose folded blocks have the wrong shape is refused at the first eval forward, naming it. */
class BadFoldTest {

    /** The window compression, claiming one folded block where k = 8 and r̂ = 4 make two. */
    private static final class OneBlockOperator implements CompressionOperator {
        @Override
        public String name() {
            return "test-one-block";
        }

        @Override
        public OptionalInt moraType() {
            return OptionalInt.empty();
        }

        @Override
        public void checkShape(CompressionShape shape) {}

        @Override
        public Compression bind(CompressionShape shape, NDManager manager) {
            return new WindowCompression(shape, manager, 1f) {
                @Override
                public Optional<NDArray> foldedBlocks(NDArray m) {
                    return Optional.of(m.expandDims(0));
                }
            };
        }
    }

    @Test
    void foldedBlocksOfTheWrongShapeAreAPeftException() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            AdapterConfig config =
                    AdapterConfig.builder(MoraFactory.NAME).setRank(1).build();
            MoraOptions options =
                    new MoraOptions(new OneBlockOperator(), RankRule.PAPER, false, 4, true, Plugins.defaults());
            MoraAdapter adapter =
                    new MoraAdapter(config, AdapterTarget.of("model.layers.0.q_proj", 8, 8, DataType.FLOAT32), options);
            adapter.initialize(manager, DataType.FLOAT32, new Shape(1, 8));
            assertEquals(4, adapter.reducedRank(), "the paper's rule: ⌊√((8 + 8)·1)⌋");
            NDArray x = manager.ones(new Shape(3, 8));
            PeftException error = assertThrows(
                    PeftException.class,
                    () -> adapter.forward(new ParameterStore(manager, false), Adapter.inputs(x, x, x), false));
            assertEquals(
                    "Operator 'test-one-block' folded its compression into blocks of shape (1, 4, 4) for layer "
                            + "'model.layers.0.q_proj' (k=8, r̂=4): expected (2, 4, 4), one r̂×r̂ matrix per block of the input",
                    error.getMessage());
        }
    }
}
