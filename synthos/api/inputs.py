def validated_input(serializer_class, request, **kwargs) -> dict:
    """Validate a request body with an input serializer; field errors become the 422 envelope."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
