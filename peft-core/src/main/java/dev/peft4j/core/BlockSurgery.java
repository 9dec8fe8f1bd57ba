package dev.peft4j.core;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import dev.peft4j.spi.PeftException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Replaces a child block inside its parent, as PyTorch's {@code setattr} does: the entry in the
 * parent's child list keeps its key and position, and every field of the parent that referred to
 * the old block refers to the new one, so blocks that call a child through a field are rewired too.
 *
 * <p>DJL offers no public way to do this; it reads {@link AbstractBlock}'s protected child list
 * reflectively, which works while DJL is on the class path (not a named module).
 */
final class BlockSurgery {

    private static final Field CHILDREN = childrenField();

    private BlockSurgery() {}

    private static Field childrenField() {
        try {
            Field field = AbstractBlock.class.getDeclaredField("children");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("This DJL version's AbstractBlock has no accessible child list", e);
        }
    }

    /**
     * Puts a replacement where a child was.
     *
     * @param parent the parent block
     * @param index the child's position
     * @param replacement the new child
     * @throws PeftException when the parent does not keep its children in DJL's child list
     */
    static void replaceChild(Block parent, int index, Block replacement) {
        if (!(parent instanceof AbstractBlock)) {
            throw new PeftException(
                    "Cannot put an adapter into " + parent.getClass().getName() + ": it is not a DJL AbstractBlock");
        }
        try {
            BlockList children = (BlockList) CHILDREN.get(parent);
            String key = children.keyAt(index);
            Block old = children.valueAt(index);
            List<Field> references = fieldsReferringTo(parent, old, replacement);
            children.remove(index);
            children.add(index, key, replacement);
            for (Field field : references) {
                field.set(parent, replacement);
            }
        } catch (IllegalAccessException e) {
            throw new PeftException("Cannot replace a child of " + parent.getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    private static List<Field> fieldsReferringTo(Block parent, Block old, Block replacement)
            throws IllegalAccessException {
        List<Field> references = new ArrayList<>();
        for (Class<?> type = parent.getClass(); type != AbstractBlock.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || !Block.class.isAssignableFrom(field.getType())) {
                    continue;
                }
                field.setAccessible(true);
                if (field.get(parent) != old) {
                    continue;
                }
                if (!field.getType().isInstance(replacement)) {
                    throw new PeftException(
                            type.getName()
                                    + " keeps the layer in field '"
                                    + field.getName()
                                    + "' of type "
                                    + field.getType().getSimpleName()
                                    + ", which cannot hold an adapter; declare the field as ai.djl.nn.Block");
                }
                references.add(field);
            }
        }
        return references;
    }
}
