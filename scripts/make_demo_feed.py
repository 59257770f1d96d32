#!/usr/bin/env python3
"""Writes assets/demo/products.json: a made-up but realistic Yespo product feed.

Deterministic (no randomness) so the file only changes when this script does.
Some items are deliberately untidy, the way real feeds are: prices as strings,
stock flags as booleans or strings, a single category without a list.
Image URLs use {{BASE}}, which the demo server replaces with its own address.
"""
import json, itertools, pathlib

BRANDS = ["Kyiv Cotton", "Dnipro Denim", "Karpaty Outdoor", "Lviv Leather", "Nord Line", "Polissya"]
COLORS = ["navy", "black", "white", "olive", "burgundy", "sand", "grey", "sky blue"]
KINDS = [
    # (category path, names, sizes, price range)
    (["Clothing", "T-shirts"], ["Cotton crew-neck T-shirt", "Organic V-neck T-shirt", "Striped long-sleeve tee", "Oversize graphic T-shirt", "Pique polo shirt"], ["XS", "S", "M", "L", "XL"], (299, 899)),
    (["Clothing", "Hoodies"], ["Fleece zip hoodie", "Heavyweight pullover hoodie", "Merino half-zip sweater", "Cable-knit cardigan"], ["S", "M", "L", "XL"], (1199, 2499)),
    (["Clothing", "Dresses"], ["Linen midi dress", "Knitted sweater dress", "Wrap summer dress", "Shirt dress with belt"], ["XS", "S", "M", "L"], (1299, 2999)),
    (["Clothing", "Jeans"], ["Slim-fit stretch jeans", "Straight-leg raw denim", "Relaxed carpenter trousers", "Chino trousers"], ["28", "30", "32", "34", "36"], (999, 2299)),
    (["Shoes", "Sneakers"], ["Leather low-top sneakers", "Running shoes Trail 2", "Canvas slip-ons", "Suede court sneakers"], ["38", "39", "40", "41", "42", "43", "44"], (1499, 3999)),
    (["Shoes", "Boots"], ["Waterproof hiking boots", "Chelsea boots", "Insulated winter boots"], ["37", "38", "40", "42", "44"], (2499, 4999)),
    (["Accessories", "Bags"], ["Leather crossbody bag", "Canvas tote bag", "Roll-top backpack 20 L", "Belt bag"], [], (699, 3499)),
    (["Accessories", "Hats"], ["Wool beanie", "Baseball cap", "Bucket hat"], ["one size"], (249, 699)),
    (["Accessories", "Watches"], ["Minimal steel watch", "Sport watch with strap"], [], (1999, 4499)),
]
GENDERS = ["female", "male", "unisex"]

def main():
    products = []
    n = 0
    for (cat, names, sizes, (lo, hi)) in KINDS:
        for name in names + names[:2]:  # the first two models come in a second colour
            n += 1
            sku = f"SKU-{1000 + n}"
            brand = BRANDS[n % len(BRANDS)]
            color = COLORS[(n * 3) % len(COLORS)]
            price = lo + ((n * 137) % (hi - lo + 1))
            price = round(price / 10) * 10 - 1  # shop prices end in 9
            item = {
                "id": sku,
                "name": f"{name}, {color}",
                "url": f"https://shop.example/p/{sku.lower()}",
                "price": float(price),
                "descr": f"{name} by {brand}. Everyday quality, easy care; made for a long season.",
                "brand": brand,
                "category": cat,
                "isInStock": 0 if n % 7 == 0 else 1,
                "tags_gender": GENDERS[n % 3] if cat[0] == "Clothing" or cat[1] == "Sneakers" else "unisex",
                "tags_color": color,
                "tags_picture": "{{BASE}}/images/" + sku + ".png",
            }
            if sizes:
                item["tags_clear_size"] = sizes[n % len(sizes)] if n % 4 else sizes[:3]
            if n % 3 == 0:
                item["tags_oldprice"] = float(round(price * 1.25 / 10) * 10 - 1)
            if n % 11 == 0:
                item["tags_material"] = "100% cotton" if cat[0] == "Clothing" else "leather"
            products.append(item)
    # The untidy ones, as real feeds send them.
    products[2]["price"] = str(products[2]["price"])          # price as a string
    products[5]["isInStock"] = True                              # stock as bool
    products[8]["isInStock"] = "0"                               # stock as string
    products[11]["category"] = products[11]["category"][1]      # a single category string
    products[13]["id"] = 1014                                    # id as a number
    del products[17]["descr"], products[17]["brand"]             # optional fields missing
    products[19]["tags_picture"] = "{{BASE}}/images/missing.png"  # broken image link
    del products[23]["tags_picture"]                             # no image at all
    products[27]["tags_picture"] = "{{BASE}}/images/corrupt.png"  # truncated picture
    products[31]["tags_picture"] = "{{BASE}}/images/bomb.png"     # 30000x30000 decompression bomb
    products[29]["extraField"] = {"nested": [1, 2, 3]}           # unknown field
    out = pathlib.Path(__file__).resolve().parent.parent / "assets" / "demo" / "products.json"
    out.write_text(json.dumps(products, ensure_ascii=False, indent=1) + "\n")
    print(f"{len(products)} products -> {out}")

main()
