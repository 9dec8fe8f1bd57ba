package dev.peft4j.core;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import dev.peft4j.spi.PeftException;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.Set;

/**
 * Replaces a child block inside its parent, as PyTorch's {@code setattr} does: the entry in the
 * parent's child list keeps its key and position, and every reference the parent holds to the old
 * block (a field, an element of an array, a list or a map value held in a field) is pointed at the
 * new one, so blocks that call a child through a field or a collection are rewired too; every
 * block of the tree is searched, since a block may call a grandchild directly. A
 * reference that cannot be changed (a field whose type cannot hold the new block, an unmodifiable
 * collection) is an error raised before anything is changed.
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
     * Puts a replacement where a child was, and points every reference to the old child held by
     * any block of the tree at the replacement.
     *
     * @param root the tree's root
     * @param parent the parent block
     * @param index the child's position
     * @param replacement the new child
     * @throws PeftException when the parent is not a DJL AbstractBlock or a block holds the child
     *     in a way that cannot be changed; nothing is changed then
     */
    static void replaceChild(Block root, Block parent, int index, Block replacement) {
        if (!(parent instanceof AbstractBlock)) {
            throw new PeftException(
                    "Cannot put an adapter into " + parent.getClass().getName() + ": it is not a DJL AbstractBlock");
        }
        try {
            BlockList children = (BlockList) CHILDREN.get(parent);
            String key = children.keyAt(index);
            Block old = children.valueAt(index);
            List<Runnable> rewiring = new ArrayList<>();
            for (Block block : blocks(root)) {
                rewiring.addAll(referencesTo(block, old, replacement));
            }
            children.remove(index);
            children.add(index, key, replacement);
            rewiring.forEach(Runnable::run);
        } catch (IllegalAccessException e) {
            throw new PeftException(
                    "Cannot replace a child of " + parent.getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Takes a child out of its parent's child list.
     *
     * @param parent the parent, a DJL AbstractBlock
     * @param child the child to remove
     * @throws PeftException when the parent does not hold it
     */
    static void removeChild(AbstractBlock parent, Block child) {
        try {
            BlockList children = (BlockList) CHILDREN.get(parent);
            for (int i = 0; i < children.size(); i++) {
                if (children.valueAt(i) == child) {
                    children.remove(i);
                    return;
                }
            }
            throw new PeftException(parent.getClass().getName() + " does not hold " + child);
        } catch (IllegalAccessException e) {
            throw new PeftException(
                    "Cannot remove a child of " + parent.getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    /** Every block of a tree, each once. */
    private static Set<Block> blocks(Block root) {
        Set<Block> found = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Block> pending = new ArrayDeque<>(List.of(root));
        while (!pending.isEmpty()) {
            Block block = pending.pop();
            if (found.add(block)) {
                pending.addAll(block.getChildren().values());
            }
        }
        return found;
    }

    /** The changes that point a block's references at the replacement, checked, not yet run. */
    private static List<Runnable> referencesTo(Block parent, Block old, Block replacement)
            throws IllegalAccessException {
        List<Runnable> rewiring = new ArrayList<>();
        for (Class<?> type = parent.getClass();
                type != null && type != AbstractBlock.class;
                type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                field.setAccessible(true);
                Object value = field.get(parent);
                String where = type.getName() + "." + field.getName();
                if (value == old) {
                    if (!field.getType().isInstance(replacement)) {
                        throw new PeftException(where + " holds the layer as a "
                                + field.getType().getSimpleName()
                                + ", which cannot hold an adapter; declare the field as ai.djl.nn.Block");
                    }
                    rewiring.add(() -> set(field, parent, replacement));
                } else if (value != null
                        && value.getClass().isArray()
                        && !value.getClass().getComponentType().isPrimitive()) {
                    rewiring.addAll(inArray(value, old, replacement, where));
                } else if (value instanceof List<?> list && list.contains(old)) {
                    rewiring.add(inList(list, old, replacement, where));
                } else if (value instanceof Map<?, ?> map && map.containsValue(old)) {
                    rewiring.add(inMap(map, old, replacement, where));
                }
            }
        }
        return rewiring;
    }

    private static List<Runnable> inArray(Object array, Block old, Block replacement, String where) {
        List<Runnable> rewiring = new ArrayList<>();
        for (int i = 0; i < Array.getLength(array); i++) {
            if (Array.get(array, i) == old) {
                if (!array.getClass().getComponentType().isInstance(replacement)) {
                    throw new PeftException(where + " holds the layer in a "
                            + array.getClass().getComponentType().getSimpleName()
                            + "[], which cannot hold an adapter; use Block[]");
                }
                int index = i;
                rewiring.add(() -> Array.set(array, index, replacement));
            }
        }
        return rewiring;
    }

    @SuppressWarnings("unchecked")
    private static Runnable inList(List<?> list, Block old, Block replacement, String where) {
        ListIterator<Object> probe = ((List<Object>) list).listIterator();
        try {
            while (probe.hasNext()) {
                Object element = probe.next();
                probe.set(element);
            }
        } catch (UnsupportedOperationException | ClassCastException e) {
            throw new PeftException(
                    where + " holds the layer in a list that cannot be changed ("
                            + list.getClass().getName() + ")",
                    e);
        }
        return () -> {
            ListIterator<Object> elements = ((List<Object>) list).listIterator();
            while (elements.hasNext()) {
                if (elements.next() == old) {
                    elements.set(replacement);
                }
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static Runnable inMap(Map<?, ?> map, Block old, Block replacement, String where) {
        Map<Object, Object> values = (Map<Object, Object>) map;
        List<Object> keys = values.entrySet().stream()
                .filter(e -> e.getValue() == old)
                .map(Map.Entry::getKey)
                .toList();
        try {
            keys.forEach(key -> values.put(key, old));
        } catch (UnsupportedOperationException | ClassCastException e) {
            throw new PeftException(
                    where + " holds the layer in a map that cannot be changed ("
                            + map.getClass().getName() + ")",
                    e);
        }
        return () -> keys.forEach(key -> values.put(key, replacement));
    }

    private static void set(Field field, Object target, Object value) {
        try {
            field.set(target, value);
        } catch (IllegalAccessException e) {
            throw new PeftException("Cannot rewire " + field + ": " + e.getMessage(), e);
        }
    }
}
