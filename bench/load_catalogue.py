"""Load a catalogue into a bench tenant: N products (default 10,000) with 3 variants each.

    DATABASE_URL=postgres://... python bench/load_catalogue.py [--tenant bench] [--products 10000]

Categories (50) and brands (20) through the ORM, products and variants with bulk_create in
batches (30,000 variants load in seconds; COPY is not needed at this size). The tenant must exist
(bench/load_clients.py creates it); an existing catalogue of that tenant is replaced. Prints the
ids the variant scenarios of bench/run_bench.py use.
"""

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from core.ids import uuid7  # noqa: E402
from core.models import Tenant  # noqa: E402
from sales.models import Product, ProductBrand, ProductCategory, Variant  # noqa: E402

SIZES = [("Small", Decimal("1.00")), ("Medium", Decimal("1.80")), ("Large", Decimal("3.20"))]


def load(tenant: Tenant, products: int, batch: int = 2000, seed: int = 11) -> dict:
    rng = random.Random(seed)
    with transaction.atomic():
        Variant.objects.filter(tenant=tenant).delete()
        Product.objects.filter(tenant=tenant).delete()
        ProductCategory.objects.filter(tenant=tenant).delete()
        ProductBrand.objects.filter(tenant=tenant).delete()
        categories = [ProductCategory.objects.create(tenant=tenant, name=f"Category {i:02d}") for i in range(50)]
        brands = [ProductBrand.objects.create(tenant=tenant, name=f"Brand {i:02d}") for i in range(20)]
    started = time.perf_counter()
    done = 0
    while done < products:
        size = min(batch, products - done)
        rows, variants = [], []
        for n in range(done, done + size):
            product = Product(
                id=uuid7(),
                tenant=tenant,
                name=f"Product {n:06d} {rng.choice(['Juice', 'Chips', 'Soap', 'Milk', 'Tea', 'Rice'])}",
                sku=f"SKU-{n:06d}",
                category=rng.choice(categories),
                brand=rng.choice(brands),
                base_price=Decimal(rng.randint(50, 5000)) / 100,
            )
            rows.append(product)
            for index, (label, factor) in enumerate(SIZES):
                variants.append(
                    Variant(
                        id=uuid7(),
                        tenant=tenant,
                        product=product,
                        name=label,
                        sku=f"SKU-{n:06d}-{index}",
                        price=(product.base_price * factor).quantize(Decimal("0.01")),
                        is_default=index == 0,
                    )
                )
        with transaction.atomic():
            Product.objects.bulk_create(rows)
            Variant.objects.bulk_create(variants)
        done += size
        print(f"\r{done:,} products, {done * 3:,} variants", end="", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    print(f"\nloaded in {elapsed:.1f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE sales_product")
            cursor.execute("ANALYZE sales_variant")
    product = Product.objects.filter(tenant=tenant).order_by("pk")[products // 2]
    return {"product": str(product.pk), "category": str(categories[0].pk)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", default="bench")
    parser.add_argument("--products", type=int, default=10_000)
    args = parser.parse_args()
    tenant = Tenant.objects.get(namespace=args.tenant)
    ids = load(tenant, args.products)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"catalogue-{args.tenant}.txt").write_text(f"{ids['product']} {ids['category']}\n")
    print(f"product={ids['product']} category={ids['category']}")


if __name__ == "__main__":
    main()
