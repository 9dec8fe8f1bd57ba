package dev.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleTreeTest {

    /** An attention-like block whose children have names, as PyTorch modules do. */
    static final class Attention extends AbstractBlock {
        Attention(int width) {
            addChildBlock("q_proj", Linear.builder().setUnits(width).build());
            addChildBlock("v_proj", Linear.builder().setUnits(width).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDList q = children.valueAt(0).forward(ps, in, training);
            return children.valueAt(1).forward(ps, q, training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            for (Block child : children.values()) {
                child.initialize(manager, dataType, inputShapes);
            }
        }
    }

    @Test
    void pathsFollowPyTorchNaming() {
        SequentialBlock model = new SequentialBlock()
                .add(new Attention(4))
                .add(Activation::relu)
                .add(new SequentialBlock().add(Linear.builder().setUnits(4).build()))
                .add(Linear.builder().setUnits(2).build());
        List<String> paths = ModuleTree.linearLayers(model).stream()
                .map(ModuleTree.Layer::path)
                .toList();
        assertEquals(List.of("0.q_proj", "0.v_proj", "2.0", "3"), paths);
    }

    @Test
    void aLinearRootHasTheEmptyPath() {
        List<ModuleTree.Layer> layers =
                ModuleTree.linearLayers(Linear.builder().setUnits(2).build());
        assertEquals(1, layers.size());
        assertEquals("", layers.get(0).path());
        assertEquals(-1, layers.get(0).childIndex());
    }

    @Test
    void segmentsDropOnlyDjlsCounter() {
        assertEquals("q_proj", ModuleTree.segment(new Attention(1), 0, "01q_proj"));
        assertEquals("7up", ModuleTree.segment(new Attention(1), 11, "127up"));
        assertEquals("3", ModuleTree.segment(new SequentialBlock(), 3, "04Linear"));
        assertEquals("x", ModuleTree.segment(new Attention(1), 0, "x"));
    }
}
