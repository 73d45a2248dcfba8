"""Chats (rooms): the allocator that decides which agent answers which customer."""
