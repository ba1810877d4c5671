"""Brands read as text: a PP-OCR recogniser and text finder shipped inside the `rapidocr` wheel
(ONNX files only; its Python code is never imported, so nothing is ever downloaded), what each
label's mark reads as, and how a reading becomes evidence for or against a brand."""
