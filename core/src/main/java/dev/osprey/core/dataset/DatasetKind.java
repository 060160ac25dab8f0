package dev.osprey.core.dataset;

/** The layouts {@link Datasets#load} understands. */
public enum DatasetKind {
    /** A directory of MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST). */
    IDX,
    /** A directory of CIFAR-10 binary batches. */
    CIFAR10,
    /** A directory of class sub-folders of image files, as torchvision's ImageFolder. */
    IMAGE_FOLDER,
    /** One PNG, JPEG or BMP file. */
    IMAGE_FILE
}
